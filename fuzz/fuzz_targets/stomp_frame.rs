//! STOMP frames (push.md §2.5): no input panics; whatever the parser reads as a frame it reads
//! within the limits and from no more bytes than it was given; a frame it read, written by the
//! server's writer, reads back as the same frame (for the commands whose headers are escaped).
#![no_main]

use libfuzzer_sys::fuzz_target;
use loyalpos_stomp::{Command, Item, Limits, parse};

fuzz_target!(|bytes: &[u8]| {
    let limits = Limits {
        max_frame: 2048,
        max_headers: 16,
    };
    let Ok(Some((item, used))) = parse(bytes, &limits) else {
        return;
    };
    assert!(used > 0 && used <= bytes.len() && used <= limits.max_frame);
    let Item::Frame(frame) = item else {
        return;
    };
    assert!(frame.headers.len() <= limits.max_headers);
    if matches!(frame.command, Command::Connect | Command::Connected) {
        return;
    }
    let written = frame.encode();
    let generous = Limits {
        max_frame: written.len(),
        max_headers: limits.max_headers + 1,
    };
    match parse(&written, &generous) {
        Ok(Some((Item::Frame(back), n))) => {
            assert_eq!(n, written.len());
            assert_eq!(back.command, frame.command);
            assert_eq!(back.body, frame.body);
            let without_length = |h: &[(String, String)]| -> Vec<(String, String)> {
                h.iter().filter(|(n, _)| n != "content-length").cloned().collect()
            };
            assert_eq!(without_length(&back.headers), without_length(&frame.headers));
        }
        other => panic!("the written frame did not read back: {other:?}"),
    }
});
