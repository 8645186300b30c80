use proptest::prelude::*;

use super::*;

fn one(bytes: &[u8]) -> Result<Option<(Item, usize)>, FrameError> {
    parse(bytes, &Limits::default())
}

fn frame_of(bytes: &[u8]) -> Frame {
    match one(bytes) {
        Ok(Some((Item::Frame(f), used))) => {
            assert_eq!(used, bytes.len(), "the whole input is one frame");
            f
        }
        other => panic!("expected a frame, got {other:?}"),
    }
}

/// The frame the PHP SDK sends for a start (push.md §2.2), `data` as a JSON string.
const SDK_SEND: &[u8] = b"SEND\n\
destination:/exchange/connect.api/api:exec:Smart.Transactions.Start\n\
reply-to:/temp-queue/main\n\
content-type:application/json\n\
user-id:qb56tjj1bcvo9n2nj4u38k84lo\n\
correlation-id:5fd0c1e2a3b4c-1804289383-1607000000\n\
\n\
{\"pid\":\"STX_KJXJDUN542NR3WMRHRVU5WWM6ZQEA2\",\"sid\":\"cash\",\"data\":\"\"}\0";

#[test]
fn the_sdks_send_frame_parses_with_its_headers_and_body() {
    let f = frame_of(SDK_SEND);
    assert_eq!(f.command, Command::Send);
    assert_eq!(
        f.get("destination"),
        Some("/exchange/connect.api/api:exec:Smart.Transactions.Start")
    );
    assert_eq!(f.get("reply-to"), Some("/temp-queue/main"));
    assert_eq!(
        f.get("correlation-id"),
        Some("5fd0c1e2a3b4c-1804289383-1607000000")
    );
    assert!(f.body.starts_with(b"{\"pid\":\"STX_"));
}

#[test]
fn crlf_line_ends_and_heart_beats_between_frames_are_accepted() {
    let bytes = b"\r\n\nCONNECT\r\naccept-version:1.2\r\nlogin:t\r\npasscode:t\r\n\r\n\0";
    assert_eq!(one(bytes), Ok(Some((Item::HeartBeat, 2))));
    assert_eq!(one(&bytes[2..]), Ok(Some((Item::HeartBeat, 1))));
    let f = frame_of(&bytes[3..]);
    assert_eq!(f.command, Command::Connect);
    assert_eq!(f.get("passcode"), Some("t"));
}

#[test]
fn a_frame_arriving_in_pieces_is_incomplete_until_its_nul() {
    for cut in 0..SDK_SEND.len() {
        assert_eq!(one(&SDK_SEND[..cut]), Ok(None), "cut at {cut}");
    }
}

#[test]
fn bytes_after_a_frame_are_left_for_the_next_parse() {
    let mut two = SDK_SEND.to_vec();
    two.extend_from_slice(b"DISCONNECT\nreceipt:77\n\n\0");
    let Ok(Some((Item::Frame(_), used))) = one(&two) else {
        panic!("first frame")
    };
    let second = frame_of(&two[used..]);
    assert_eq!(second.command, Command::Disconnect);
    assert_eq!(second.get("receipt"), Some("77"));
}

#[test]
fn content_length_lets_the_body_hold_nul_bytes() {
    let f = frame_of(b"SEND\ndestination:/q\ncontent-length:3\n\na\0b\0");
    assert_eq!(f.body, b"a\0b");
}

#[test]
fn a_body_longer_than_its_content_length_is_refused() {
    assert_eq!(
        one(b"SEND\ncontent-length:1\n\nab\0"),
        Err(FrameError::MissingNul)
    );
}

#[test]
fn header_escapes_are_decoded_except_on_connect() {
    let f = frame_of(b"SEND\nselector:target \\c 'a\\\\b'\\n\n\n\0");
    assert_eq!(f.get("selector"), Some("target : 'a\\b'\n"));
    let c = frame_of(b"CONNECT\nlogin:a\\cb\n\n\0");
    assert_eq!(c.get("login"), Some("a\\cb"));
}

#[test]
fn an_undefined_escape_is_a_protocol_error() {
    assert_eq!(one(b"SEND\nx:a\\tb\n\n\0"), Err(FrameError::BadEscape));
    assert_eq!(one(b"SEND\nx:a\\\n\n\0"), Err(FrameError::BadEscape));
}

#[test]
fn the_first_of_repeated_headers_counts() {
    let f = frame_of(b"MESSAGE\nfoo:World\nfoo:Hello\n\n\0");
    assert_eq!(f.get("foo"), Some("World"));
    assert_eq!(f.headers.len(), 2);
}

#[test]
fn unknown_and_lower_case_commands_are_refused_with_the_name() {
    assert_eq!(
        one(b"send\n\n\0"),
        Err(FrameError::UnknownCommand("send".into()))
    );
    assert_eq!(
        one(b"GET / HTTP/1.1\r\n"),
        Err(FrameError::UnknownCommand("GET / HTTP/1.1".into()))
    );
}

#[test]
fn a_header_line_without_colon_is_refused() {
    assert_eq!(
        one(b"SEND\nnocolon\n\n\0"),
        Err(FrameError::MalformedHeader)
    );
}

#[test]
fn a_frame_over_the_limit_is_refused_before_it_has_arrived() {
    let limits = Limits {
        max_frame: 64,
        max_headers: 100,
    };
    let mut endless = b"SEND\ndestination:/q\n\n".to_vec();
    endless.resize(65, b'x');
    assert_eq!(parse(&endless, &limits), Err(FrameError::TooLarge(64)));
    assert_eq!(parse(&endless[..40], &limits), Ok(None));
    assert_eq!(
        parse(b"SEND\ncontent-length:9999999999999999999999\n\n", &limits),
        Err(FrameError::TooLarge(64))
    );
    let mut long_head = b"SEND\nx:".to_vec();
    long_head.resize(80, b'y');
    assert_eq!(parse(&long_head, &limits), Err(FrameError::TooLarge(64)));
}

#[test]
fn a_frame_of_exactly_the_limit_is_accepted() {
    let head = b"SEND\n\n";
    let limits = Limits {
        max_frame: 16,
        max_headers: 100,
    };
    let mut exact = head.to_vec();
    exact.resize(15, b'x');
    exact.push(0);
    assert!(matches!(
        parse(&exact, &limits),
        Ok(Some((Item::Frame(_), 16)))
    ));
    let with_length = b"SEND\ncontent-length:1\n\nx\0";
    let tight = Limits {
        max_frame: with_length.len(),
        max_headers: 100,
    };
    assert!(matches!(
        parse(with_length, &tight),
        Ok(Some((Item::Frame(_), n))) if n == with_length.len()
    ));
    let too_tight = Limits {
        max_frame: with_length.len() - 1,
        ..tight
    };
    assert_eq!(
        parse(with_length, &too_tight),
        Err(FrameError::TooLarge(with_length.len() - 1))
    );
}

#[test]
fn more_than_the_allowed_headers_are_refused() {
    let mut bytes = b"SEND\n".to_vec();
    for i in 0..=MAX_HEADERS {
        bytes.extend_from_slice(format!("h{i}:v\n").as_bytes());
    }
    bytes.extend_from_slice(b"\n\0");
    assert_eq!(one(&bytes), Err(FrameError::TooManyHeaders(MAX_HEADERS)));
}

#[test]
fn a_content_length_that_is_no_number_is_refused() {
    assert_eq!(
        one(b"SEND\ncontent-length:-1\n\n\0"),
        Err(FrameError::BadContentLength)
    );
    assert_eq!(
        one(b"SEND\ncontent-length:\n\n\0"),
        Err(FrameError::BadContentLength)
    );
}

#[test]
fn a_server_message_is_written_with_escapes_and_its_length() {
    let bytes = Frame::new(Command::Message)
        .header("destination", "/temp-queue/main")
        .header("note", "a:b\nc")
        .body("{\"status\":\"ok\"}")
        .encode();
    assert_eq!(
        bytes,
        b"MESSAGE\ndestination:/temp-queue/main\nnote:a\\cb\\nc\ncontent-length:15\n\n{\"status\":\"ok\"}\0"
    );
}

#[test]
fn connected_is_written_without_escapes_and_without_a_body_length() {
    let bytes = Frame::new(Command::Connected)
        .header("version", "1.2")
        .header("heart-beat", "30000,30000")
        .encode();
    assert_eq!(
        bytes,
        b"CONNECTED\nversion:1.2\nheart-beat:30000,30000\n\n\0"
    );
}

fn header_text() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[ -~\\n\\r\\\\:äé]{0,12}").expect("a valid pattern")
}

fn escaped_command() -> impl Strategy<Value = Command> {
    prop::sample::select(
        Command::ALL
            .iter()
            .copied()
            .filter(|c| c.escapes_headers())
            .collect::<Vec<_>>(),
    )
}

proptest! {
    /// What the writer writes, the parser reads back as the same frame, in one piece.
    #[test]
    fn written_frames_parse_back_unchanged(
        command in escaped_command(),
        headers in prop::collection::vec((header_text(), header_text()), 0..8),
        body in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let mut frame = Frame::new(command).body(body);
        frame.headers = headers.into_iter().filter(|(n, _)| n != "content-length").collect();
        let bytes = frame.encode();
        let Ok(Some((Item::Frame(back), used))) = one(&bytes) else {
            return Err(TestCaseError::fail(format!("did not parse: {bytes:?}")));
        };
        prop_assert_eq!(used, bytes.len());
        prop_assert_eq!(&back.body, &frame.body);
        let sent: Vec<_> = frame.headers.iter().collect();
        let read: Vec<_> = back.headers.iter().filter(|(n, _)| n != "content-length").collect();
        prop_assert_eq!(read, sent);
    }

    /// No input panics, and a parse never claims more bytes than it was given.
    #[test]
    fn any_bytes_parse_to_an_answer(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        if let Ok(Some((_, used))) = one(&bytes) {
            prop_assert!(used <= bytes.len() && used > 0);
        }
    }
}
