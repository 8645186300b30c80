//! The STOMP listener (push.md §2): a register connects with its access token and sends the REST
//! requests as SEND frames; the answers come back on its reply destination. Bad input gets an ERROR
//! frame and a closed connection, never a stuck server.
mod common;
use common::stomp::{StompClient, sdk_send};
use common::*;
use loyalpos_stomp::{Command, Frame};
use serde_json::{Value, json};

fn body(frame: &Frame) -> Value {
    serde_json::from_slice(&frame.body).unwrap_or_else(|e| panic!("{e}: {frame:?}"))
}

on_both_backends! {
    async fn connected_names_the_agreed_version_heart_beats_and_a_session(app: TestApp) {
        let mut client = StompClient::open(&app.server.stomp).await;
        client.send(&Frame::new(Command::Stomp)
            .header("accept-version", "1.1,1.2")
            .header("login", PINNED)
            .header("passcode", PINNED)
            .header("heart-beat", "10000,0")).await;
        let connected = client.next().await.unwrap();
        assert_eq!(connected.command, Command::Connected);
        assert_eq!(connected.get("version"), Some("1.2"));
        assert_eq!(connected.get("heart-beat"), Some("0,30000"), "the client wants none, sends every 10 s");
        assert!(connected.get("server").unwrap().starts_with("loyalpos/"));
        assert_eq!(connected.get("session").map(str::len), Some(32));
    }

    async fn a_wrong_token_gets_an_error_with_the_envelope_and_the_connection_closes(app: TestApp) {
        for (login, passcode) in [("nope", "nope"), (PINNED, "other")] {
            let mut client = StompClient::open(&app.server.stomp).await;
            client.send(&Frame::new(Command::Connect).header("login", login).header("passcode", passcode)).await;
            let error = client.next().await.unwrap();
            assert_eq!(error.command, Command::Error);
            assert_eq!(error.get("message"), Some("Valid auth token required"));
            assert_eq!(body(&error)["code"], 2003);
            assert!(client.next().await.is_none(), "closed");
        }
    }

    async fn gets_and_errors_answer_on_the_reply_destination_as_rest_answers_them(app: TestApp) {
        let (mut client, _) = StompClient::connect(&app.server.stomp, PINNED).await;
        client.send(&sdk_send(PINNED, "get", "Smart.Transactions", SEED_STX, "", "c-1")).await;
        let reply = client.next().await.unwrap();
        let rest = app.get(&format!("/Smart/Transactions/{SEED_STX}"), PINNED).await;
        assert_eq!(reply.get("correlation-id"), Some("c-1"));
        assert_eq!(body(&reply)["data"], rest.ok().clone());
        // an unknown object: REST's 404 envelope
        client.send(&sdk_send(PINNED, "get", "Smart.Transactions", "STX_ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ", "", "c-2")).await;
        let missing = body(&client.next().await.unwrap());
        assert_eq!((missing["status"].as_str(), missing["code"].as_i64()), (Some("error"), Some(3001)));
        // an unknown destination: 4004, and the connection goes on
        client.send(&sdk_send(PINNED, "exec", "Nothing.Here.atAll", "X", "", "c-3")).await;
        let unknown = client.next().await.unwrap();
        assert_eq!(unknown.get("correlation-id"), Some("c-3"));
        assert_eq!(body(&unknown)["code"], 4004);
        client.send(&sdk_send(PINNED, "get", "General.Merchants", "me", "", "c-4")).await;
        assert_eq!(body(&client.next().await.unwrap())["data"]["id"], MERCHANT);
    }

    async fn a_receipt_comes_before_the_reply_and_disconnect_is_acknowledged(app: TestApp) {
        let (mut client, _) = StompClient::connect(&app.server.stomp, PINNED).await;
        client.send(&sdk_send(PINNED, "get", "General.Merchants", "me", "", "c").header("receipt", "r-1")).await;
        let receipt = client.next().await.unwrap();
        assert_eq!((receipt.command, receipt.get("receipt-id")), (Command::Receipt, Some("r-1")));
        assert_eq!(client.next().await.unwrap().command, Command::Message);
        client.send(&Frame::new(Command::Disconnect).header("receipt", "bye")).await;
        assert_eq!(client.next().await.unwrap().get("receipt-id"), Some("bye"));
        assert!(client.next().await.is_none(), "closed after DISCONNECT");
    }

    async fn a_send_for_another_token_is_refused_with_2003(app: TestApp) {
        let (mut client, _) = StompClient::connect(&app.server.stomp, PINNED).await;
        client.send(&sdk_send("someone-else", "get", "General.Merchants", "me", "", "c")).await;
        assert_eq!(body(&client.next().await.unwrap())["code"], 2003);
    }

    async fn broken_frames_get_an_error_and_a_closed_connection_while_others_go_on(app: TestApp) {
        let (mut healthy, _) = StompClient::connect(&app.server.stomp, PINNED).await;
        let cases: [&[u8]; 4] = [
            b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
            b"SEND\nno colon here\n\n\0",
            b"SEND\nbad:\\t escape\n\n\0",
            b"SEND\ncontent-length:99999999\n\n",
        ];
        for bytes in cases {
            let mut client = StompClient::open(&app.server.stomp).await;
            client.send(&Frame::new(Command::Connect).header("login", PINNED).header("passcode", PINNED)).await;
            assert_eq!(client.next().await.unwrap().command, Command::Connected);
            client.write(bytes).await;
            let error = client.next().await.unwrap();
            assert_eq!(error.command, Command::Error, "{bytes:?}");
            assert!(error.get("message").is_some_and(|m| !m.contains('\n')));
            assert!(client.next().await.is_none(), "closed after {bytes:?}");
        }
        // a reply destination that is not the connection's own
        let (mut elsewhere, _) = StompClient::connect(&app.server.stomp, PINNED).await;
        let mut foreign = sdk_send(PINNED, "get", "General.Merchants", "me", "", "c");
        foreign.headers.retain(|(name, _)| name != "reply-to");
        elsewhere.send(&foreign.header("reply-to", "/queue/other")).await;
        let refused = elsewhere.next().await.unwrap();
        assert_eq!(refused.command, Command::Error);
        assert!(elsewhere.next().await.is_none(), "closed after the ERROR");
        // a frame before CONNECT
        let mut early = StompClient::open(&app.server.stomp).await;
        early.send(&sdk_send(PINNED, "get", "General.Merchants", "me", "", "c")).await;
        assert_eq!(early.next().await.unwrap().command, Command::Error);
        healthy.send(&sdk_send(PINNED, "get", "General.Merchants", "me", "", "still")).await;
        assert_eq!(healthy.next().await.unwrap().get("correlation-id"), Some("still"));
    }

    async fn a_revoked_token_ends_its_connection_with_an_error_within_seconds(app: TestApp) {
        let token = app.merchant_token().await;
        let (mut client, connected) = StompClient::connect(&app.server.stomp, &token).await;
        assert_eq!(connected.command, Command::Connected);
        let out = app.cli(&["token", "revoke", "--client", MERCHANT_CLIENT.0]);
        assert!(out.contains("revoked"), "{out}");
        let revoked = std::time::Instant::now();
        let error = client.next().await.expect("an ERROR before the close");
        assert_eq!((error.command, body(&error)["code"].as_i64()), (Command::Error, Some(2003)));
        assert!(revoked.elapsed() < std::time::Duration::from_secs(7), "took {:?}", revoked.elapsed());
        assert!(client.next().await.is_none());
    }

    async fn a_refresh_keeps_the_device_online_until_it_lapses_or_its_connection_closes(app: TestApp) {
        let device = format!("/Smart/Devices/{CASH_REGISTER}");
        let merchant = app.merchant_token().await;
        let (mut office, _) = StompClient::connect(&app.server.stomp, &merchant).await;
        let (mut register, _) = StompClient::connect(&app.server.stomp, PINNED).await;
        register.send(&refresh(r#"{"refresh_interval":0}"#, "r-0")).await;
        assert_eq!(body(&register.next().await.unwrap())["code"], 4001);
        // online already by its live token: a refresh turns nothing
        register.send(&refresh(r#"{"refresh_interval":1}"#, "r-1")).await;
        let reply = register.next().await.unwrap();
        assert_eq!(reply.get("correlation-id"), Some("r-1"));
        assert_eq!(body(&reply), json!({"status": "ok", "data": {"result": true}}));
        // a second without a refresh: offline, although its token is live
        assert!(!online_event(&mut office).await, "offline");
        assert_eq!(app.get(&device, PINNED).await.ok()["online"], false);
        // the SDK's refresh (data a JSON string, the default interval) brings it back
        register.send(&refresh(r#""""#, "r-2")).await;
        assert_eq!(body(&register.next().await.unwrap())["data"]["result"], true);
        assert!(online_event(&mut office).await, "online");
        assert_eq!(app.get(&device, PINNED).await.ok()["online"], true);
        // its connection closes: offline at once
        register.send(&Frame::new(Command::Disconnect)).await;
        assert!(!online_event(&mut office).await, "offline");
        assert_eq!(app.get(&device, PINNED).await.ok()["online"], false);
    }
}

/// The SDK's `exec:Auth.Sessions.refresh` with `data` as given (JSON text).
fn refresh(data: &str, correlation: &str) -> Frame {
    let body = format!(r#"{{"pid":"me","sid":"","data":{data}}}"#);
    sdk_send(
        PINNED,
        "exec",
        "Auth.Sessions.refresh",
        "me",
        "",
        correlation,
    )
    .body(body)
}

/// The next event, which must be the demo register's `smart.devices` `changed`: its `online`.
async fn online_event(client: &mut StompClient) -> bool {
    let event = body(&client.next_event().await.expect("an event"));
    assert_eq!(
        (event["target"].as_str(), event["type"].as_str()),
        (Some("smart.devices"), Some("changed"))
    );
    assert_eq!(event["data"]["id"], CASH_REGISTER);
    event["data"]["online"].as_bool().expect("online")
}

#[tokio::test]
async fn a_taken_stomp_port_is_a_start_up_error_that_names_the_flag() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let db = Database::fresh(Backend::Sqlite).await.unwrap();
    let out = std::process::Command::new(binary())
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--stomp-listen",
            &app.server.stomp,
            "--database",
            &db.url,
        ])
        .env("LOYALPOS_LOG", "error")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--stomp-listen") && stderr.contains(&app.server.stomp),
        "{stderr}"
    );
}
