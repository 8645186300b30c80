//! STOMP over WebSocket (push.md §2): `GET /stomp` on the HTTP port speaks the same STOMP as the
//! TCP listener, one frame per message — what the JS SDK in a browser register uses.
mod common;
use common::stomp::{is_event, sdk_send};
use common::*;
use futures_util::{SinkExt, StreamExt};
use loyalpos_stomp::{Command, Frame, Item, Limits, parse};
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn open(app: &TestApp) -> (Socket, String) {
    let url = format!("{}/stomp", app.server.base.replace("http://", "ws://"));
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "v12.stomp, v11.stomp".parse().unwrap(),
    );
    let (socket, response) = tokio_tungstenite::connect_async(request)
        .await
        .expect("upgrade");
    let protocol = response.headers()["sec-websocket-protocol"]
        .to_str()
        .unwrap()
        .to_owned();
    (socket, protocol)
}

async fn send(socket: &mut Socket, frame: &Frame) {
    let text = String::from_utf8(frame.encode()).unwrap();
    socket.send(Message::Text(text.into())).await.unwrap();
}

/// The next frame (heart-beats skipped); each message holds one whole frame.
async fn next(socket: &mut Socket) -> Frame {
    loop {
        let message = tokio::time::timeout(std::time::Duration::from_secs(10), socket.next())
            .await
            .expect("a message within 10 s")
            .expect("the socket is open")
            .unwrap();
        let Message::Text(text) = message else {
            continue;
        };
        match parse(text.as_bytes(), &Limits::default()).unwrap() {
            Some((Item::Frame(frame), used)) => {
                assert_eq!(used, text.len(), "one frame per message");
                return frame;
            }
            _ => continue,
        }
    }
}

on_both_backends! {
    async fn stomp_over_websocket_answers_the_seed_and_carries_its_events(app: TestApp) {
        let (mut socket, protocol) = open(&app).await;
        assert_eq!(protocol, "v12.stomp");
        send(&mut socket, &Frame::new(Command::Connect).header("accept-version", "1.2")
            .header("login", PINNED).header("passcode", PINNED)).await;
        assert_eq!(next(&mut socket).await.command, Command::Connected);
        send(&mut socket, &sdk_send(PINNED, "exec", "Smart.Transactions.Start", SEED_STX, "cash", "c-1")).await;
        let (mut reply, mut events) = (None, 0);
        while reply.is_none() || events < 3 {
            let frame = next(&mut socket).await;
            if is_event(&frame) {
                events += 1;
            } else {
                reply = Some(frame);
            }
        }
        let reply = reply.unwrap();
        assert_eq!(reply.get("correlation-id"), Some("c-1"));
        let body: Value = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(body["status"], "ok");
        assert_eq!(body["data"], app.stx(SEED_STX).await);
        assert_eq!(body["data"]["receipt"][1]["value"]["value"], CARD_A);
    }

    async fn a_wrong_token_over_websocket_gets_the_error_frame_and_a_close(app: TestApp) {
        let (mut socket, _) = open(&app).await;
        send(&mut socket, &Frame::new(Command::Connect).header("login", "nope").header("passcode", "nope")).await;
        let error = next(&mut socket).await;
        assert_eq!((error.command, error.get("message")), (Command::Error, Some("Valid auth token required")));
        let closed = tokio::time::timeout(std::time::Duration::from_secs(10), socket.next()).await.unwrap();
        assert!(matches!(closed, None | Some(Ok(Message::Close(_))) | Some(Err(_))), "{closed:?}");
    }

    async fn a_plain_get_of_stomp_is_refused_with_the_error_envelope(app: TestApp) {
        let response = app.http.get(format!("{}/stomp", app.server.base)).send().await.unwrap();
        TestApp::reply(response).await.assert_error(400, 4001);
    }
}
