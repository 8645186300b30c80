//! STOMP over WebSocket (push.md §2): `GET /stomp` on the HTTP port, subprotocols `v12.stomp`,
//! `v11.stomp`, `v10.stomp` — the same session as on the TCP listener, its frames carried in
//! WebSocket messages (one frame per message to the client; any cut from the client).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::response::{IntoResponse, Response};
use loyalpos_stomp::{Limits, parse};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

use super::Session;
use crate::{App, proxy, router};

/// The bytes a connection may have in flight between its WebSocket and its session.
const PIPE: usize = 64 * 1024;

/// `GET /stomp`: upgrades to a WebSocket that speaks STOMP; any other request is 400/4001 in
/// the API's envelope (a plain GET has no `Upgrade`).
pub async fn upgrade(State(app): State<Arc<App>>, request: axum::extract::Request) -> Response {
    let (mut parts, _) = request.into_parts();
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(SocketAddr::from(([0, 0, 0, 0], 0)), |c| c.0);
    let tls = parts.extensions.get::<proxy::Tls>().is_some();
    let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &app).await {
        Ok(upgrade) => upgrade,
        Err(refused) => return refusal(&refused.body_text()),
    };
    let limits = app.config.stomp_frame;
    upgrade
        .protocols(["v12.stomp", "v11.stomp", "v10.stomp"])
        .on_upgrade(move |socket| async move {
            let session = Session::new(app.clone(), router(app, None), peer, tls, limits);
            let (inner, outer) = tokio::io::duplex(PIPE);
            tokio::spawn(session.serve(inner));
            bridge(socket, outer).await;
        })
}

fn refusal(why: &str) -> Response {
    let err = loyalpos_app::ApiError::bad_request(format!("GET /stomp is a WebSocket: {why}"));
    let support_id = loyalpos_app::secret::new_support_id();
    let mut response = crate::answer::error_response(&err, &support_id).into_response();
    if let Ok(value) = axum::http::HeaderValue::from_str(&support_id) {
        response.headers_mut().insert("x-support-id", value);
    }
    response
}

/// Carries the client's messages to the session and the session's frames, one per message, to
/// the client, until either side ends.
async fn bridge(mut socket: WebSocket, mut session: DuplexStream) {
    let mut out = Vec::with_capacity(8192);
    loop {
        tokio::select! {
            message = socket.recv() => match message {
                Some(Ok(Message::Text(text))) => {
                    if session.write_all(text.as_bytes()).await.is_err() {
                        return;
                    }
                }
                Some(Ok(Message::Binary(bytes))) => {
                    if session.write_all(&bytes).await.is_err() {
                        return;
                    }
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                Some(Ok(Message::Close(_)) | Err(_)) | None => return,
            },
            read = session.read_buf(&mut out) => {
                match read {
                    Ok(0) | Err(_) => {
                        let _ = socket.send(Message::Close(None)).await;
                        return;
                    }
                    Ok(_) => {
                        if send_frames(&mut socket, &mut out).await.is_err() {
                            return;
                        }
                    }
                }
            }
        }
    }
}

/// The session's own frames are cut without the client's limits (an answer may be larger).
const OUTGOING: Limits = Limits {
    max_frame: usize::MAX,
    max_headers: usize::MAX,
};

/// Sends every whole frame (and heart-beat) buffered, each as one message: text when it is
/// UTF-8 (always, for JSON bodies), binary otherwise.
async fn send_frames(socket: &mut WebSocket, out: &mut Vec<u8>) -> Result<(), ()> {
    // The session writes only frames it encoded itself, so they always parse.
    while let Ok(Some((_, used))) = parse(out, &OUTGOING) {
        let bytes: Vec<u8> = out.drain(..used).collect();
        let message = match String::from_utf8(bytes) {
            Ok(text) => Message::Text(text.into()),
            Err(binary) => Message::Binary(binary.into_bytes().into()),
        };
        socket.send(message).await.map_err(drop)?;
    }
    Ok(())
}
