//! Telegram Desktop's "Export chat history" in JSON (`result.json`).
//!
//! The export is one object: the chat's `name`, `type` and numeric `id`, and `messages`.
//! Each message has a numeric `id`, a `type` (`message`, or `service` for joins, pins,
//! title changes), a local `date` (`2026-11-02T14:03:11`) and, in exports since 2022,
//! `date_unixtime` (seconds, as a string), the sender as `from` (a name, or null for a
//! deleted account) and `from_id` (`user123`, `channel456`), and `text`: a string, or an
//! array of strings and entity objects `{"type": "bold", "text": "…"}` (with `href` for
//! `text_link`). Media-only messages (a photo or a file without caption) have an empty
//! text. A whole-account export (`chats.list`) holds several such chats.

use serde::Deserialize;
use serde::de::IgnoredAny;

/// A message text: a plain string, or a list of strings and entities.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Text {
    Plain(String),
    Parts(Vec<TextPart>),
}

/// One part of an entity array.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum TextPart {
    Plain(String),
    Entity(Entity),
}

/// A formatted run of text (`bold`, `code`, `text_link`, `mention`, `phone`, …).
#[derive(Debug, Clone, Deserialize)]
pub struct Entity {
    #[serde(rename = "type")]
    pub kind: String,
    pub text: String,
    #[serde(default)]
    pub href: Option<String>,
}

impl Text {
    /// The text as a reader sees it (entities' text in order; links keep their visible
    /// text only).
    pub fn flatten(&self) -> String {
        match self {
            Text::Plain(s) => s.clone(),
            Text::Parts(parts) => {
                let mut s = String::new();
                for p in parts {
                    match p {
                        TextPart::Plain(t) => s.push_str(t),
                        TextPart::Entity(e) => s.push_str(&e.text),
                    }
                }
                s
            }
        }
    }
}

/// A number or a string holding one (`date_unixtime` is a string; ids are numbers, but
/// some tools write them as strings).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum NumOrStr {
    Num(i64),
    Str(String),
}

impl NumOrStr {
    fn as_i64(&self) -> Option<i64> {
        match self {
            NumOrStr::Num(n) => Some(*n),
            NumOrStr::Str(s) => s.trim().parse().ok(),
        }
    }

    fn text(&self) -> String {
        match self {
            NumOrStr::Num(n) => n.to_string(),
            NumOrStr::Str(s) => s.clone(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
struct RawMessage {
    id: NumOrStr,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    date: Option<String>,
    #[serde(default)]
    date_unixtime: Option<NumOrStr>,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    from_id: Option<String>,
    #[serde(default)]
    actor: Option<String>,
    #[serde(default)]
    text: Option<Text>,
    #[serde(default)]
    photo: Option<IgnoredAny>,
    #[serde(default)]
    file: Option<IgnoredAny>,
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    forwarded_from: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct RawChat {
    #[serde(default)]
    name: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    id: Option<NumOrStr>,
    #[serde(default)]
    messages: Option<Vec<RawMessage>>,
}

#[derive(Debug, Clone, Deserialize)]
struct RawChats {
    list: Vec<RawChat>,
}

/// The file's top level: one chat's fields, or (whole-account export) `chats.list`.
/// Not `#[serde(flatten)]`: flattening buffers the values and loses error positions.
#[derive(Debug, Clone, Deserialize)]
struct RawExport {
    #[serde(default)]
    name: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    id: Option<NumOrStr>,
    #[serde(default)]
    messages: Option<Vec<RawMessage>>,
    #[serde(default)]
    chats: Option<RawChats>,
}

/// What kind of message it was, for the import report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    /// A message with text (possibly with media and a caption).
    Text,
    /// A join, a pin, a title change: no post.
    Service,
    /// A photo, file or sticker with no text.
    MediaOnly,
    /// Neither text nor media.
    Empty,
}

/// One message, as the importer needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The chat's numeric id as written (`1234567890`), or its name when it has none.
    pub chat_id: String,
    /// The chat's name (the channel).
    pub chat_name: Option<String>,
    pub id: i64,
    pub kind: MessageKind,
    /// Seconds since 1970, UTC. From `date_unixtime` when present; else `date` read as UTC
    /// (Telegram writes the exporting computer's local time there).
    pub unix: i64,
    /// Whether `unix` came from the local `date` (possibly off by the exporter's offset).
    pub local_time: bool,
    pub author: Option<String>,
    pub author_id: Option<String>,
    pub forwarded_from: Option<String>,
    pub text: String,
}

/// A chat export read whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Export {
    /// Chats in the file (one for "Export chat history").
    pub chats: Vec<ChatSummary>,
    pub messages: Vec<Message>,
}

/// A chat's name, type and message count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatSummary {
    pub name: Option<String>,
    pub kind: Option<String>,
    pub id: String,
    pub messages: usize,
}

/// Why a file is not a usable export; positions are 1-based.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    /// Not JSON, or JSON of the wrong shape at a position.
    #[error("line {line}, column {column}{}: {message}", path_words(.path))]
    Syntax {
        line: usize,
        column: usize,
        /// JSON path of the bad value (`messages[3].text`), when known.
        path: String,
        message: String,
    },
    /// Valid JSON without a `messages` array (nor `chats.list`).
    #[error(
        "no \"messages\" array: this is not a Telegram Desktop chat export (expected an object with \"name\", \"id\" and \"messages\")"
    )]
    NoMessages,
    /// A message whose date cannot be read.
    #[error("messages[{index}] (id {id}): {message}")]
    BadMessage {
        index: usize,
        id: String,
        message: String,
    },
}

fn path_words(path: &str) -> String {
    if path.is_empty() || path == "." {
        String::new()
    } else {
        format!(" (at {path})")
    }
}

/// Reads `2026-11-02T14:03:11` (optionally with a zone) as seconds since 1970, UTC.
fn parse_local(date: &str) -> Option<i64> {
    let b = date.as_bytes();
    if b.len() < 19 {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = date.get(r)?;
        if !s.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    };
    if b[4] != b'-' || b[7] != b'-' || !(b[10] == b'T' || b[10] == b' ') || b[13] != b':' {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let days = crate::date::days_from_civil(y, mo as u32, d as u32);
    Some(days * 86_400 + h * 3600 + mi * 60 + s)
}

/// Parses an export. Messages come in file order.
pub fn parse_export(bytes: &[u8]) -> Result<Export, ExportError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let raw: RawExport = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        ExportError::Syntax {
            line: inner.line(),
            column: inner.column(),
            path,
            message: strip_position(&inner.to_string()),
        }
    })?;
    de.end().map_err(|e| ExportError::Syntax {
        line: e.line(),
        column: e.column(),
        path: String::new(),
        message: strip_position(&e.to_string()),
    })?;
    let mut chats = Vec::new();
    if raw.messages.is_some() {
        chats.push(RawChat {
            name: raw.name,
            kind: raw.kind,
            id: raw.id,
            messages: raw.messages,
        });
    }
    if let Some(list) = raw.chats {
        chats.extend(list.list.into_iter().filter(|c| c.messages.is_some()));
    }
    if chats.is_empty() {
        return Err(ExportError::NoMessages);
    }
    let mut out = Export {
        chats: Vec::new(),
        messages: Vec::new(),
    };
    for chat in chats {
        let chat_id = chat
            .id
            .as_ref()
            .map(NumOrStr::text)
            .or_else(|| chat.name.clone())
            .unwrap_or_default();
        let messages = chat.messages.unwrap_or_default();
        out.chats.push(ChatSummary {
            name: chat.name.clone(),
            kind: chat.kind.clone(),
            id: chat_id.clone(),
            messages: messages.len(),
        });
        for (index, m) in messages.into_iter().enumerate() {
            let id_text = m.id.text();
            let bad = |message: String| ExportError::BadMessage {
                index,
                id: id_text.clone(),
                message,
            };
            let id =
                m.id.as_i64()
                    .ok_or_else(|| bad(format!("\"id\" {id_text:?} is not a number")))?;
            let (unix, local_time) = match (&m.date_unixtime, &m.date) {
                (Some(u), _) => (
                    u.as_i64().ok_or_else(|| {
                        bad(format!(
                            "\"date_unixtime\" {:?} is not a number of seconds",
                            u.text()
                        ))
                    })?,
                    false,
                ),
                (None, Some(d)) => (
                    parse_local(d).ok_or_else(|| {
                        bad(format!(
                            "\"date\" {d:?} is not a date like 2026-11-02T14:03:11"
                        ))
                    })?,
                    true,
                ),
                (None, None) => {
                    return Err(bad("no \"date\" nor \"date_unixtime\"".to_string()));
                }
            };
            let text = m.text.as_ref().map(Text::flatten).unwrap_or_default();
            let has_media = m.photo.is_some() || m.file.is_some() || m.media_type.is_some();
            let kind = if m.kind == "service" {
                MessageKind::Service
            } else if !text.trim().is_empty() {
                MessageKind::Text
            } else if has_media {
                MessageKind::MediaOnly
            } else {
                MessageKind::Empty
            };
            out.messages.push(Message {
                chat_id: chat_id.clone(),
                chat_name: chat.name.clone(),
                id,
                kind,
                unix,
                local_time,
                author: m.from.or(m.actor),
                author_id: m.from_id,
                forwarded_from: m.forwarded_from,
                text,
            });
        }
    }
    Ok(out)
}

/// serde_json appends " at line L column C"; the error already says where.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"{
 "name": "Refund Kings",
 "type": "public_channel",
 "id": 1987654321,
 "messages": [
  {"id": 1, "type": "service", "date": "2026-11-01T09:00:00", "date_unixtime": "1793523600",
   "actor": "Refund Kings", "actor_id": "channel1987654321", "action": "create_channel",
   "title": "Refund Kings", "text": "", "text_entities": []},
  {"id": 2, "type": "message", "date": "2026-11-02T10:00:00", "date_unixtime": "1793613600",
   "from": "Refund Kings", "from_id": "channel1987654321",
   "text": ["Order ", {"type": "bold", "text": "114-55•••••-7731994"}, " refunded ",
            {"type": "text_link", "text": "proof", "href": "https://t.me/x/1"}],
   "text_entities": []},
  {"id": 3, "type": "message", "date": "2026-11-02T11:00:00",
   "from": null, "from_id": "user42", "photo": "photos/photo_3.jpg", "width": 1280,
   "height": 720, "text": "", "text_entities": []}
 ]
}"#;

    #[test]
    fn reads_entity_arrays_service_and_media_messages() {
        let e = parse_export(SAMPLE.as_bytes()).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(e.chats.len(), 1);
        assert_eq!(e.chats[0].id, "1987654321");
        assert_eq!(e.messages.len(), 3);
        assert_eq!(e.messages[0].kind, MessageKind::Service);
        assert_eq!(e.messages[1].kind, MessageKind::Text);
        assert_eq!(
            e.messages[1].text,
            "Order 114-55•••••-7731994 refunded proof"
        );
        assert_eq!(e.messages[1].unix, 1_793_613_600);
        assert!(!e.messages[1].local_time);
        assert_eq!(e.messages[2].kind, MessageKind::MediaOnly);
        assert_eq!(e.messages[2].author, None);
        assert!(e.messages[2].local_time);
        assert_eq!(e.messages[2].unix, 1_793_617_200);
    }

    #[test]
    fn malformed_files_say_where() {
        let bad = SAMPLE.replace("\"id\": 2,", "\"id\": 2");
        match parse_export(bad.as_bytes()) {
            Err(ExportError::Syntax { line, .. }) => assert_eq!(line, 9),
            other => unreachable!("{other:?}"),
        }
        let wrong = SAMPLE.replace("\"type\": \"bold\", ", "");
        let err = parse_export(wrong.as_bytes()).map(|_| ()).unwrap_err();
        assert!(err.to_string().contains("messages[1].text"), "{err}");
        assert_eq!(
            parse_export(b"{\"name\": \"x\"}"),
            Err(ExportError::NoMessages)
        );
        let no_date = SAMPLE.replace("\"date\": \"2026-11-02T11:00:00\",", "");
        assert!(matches!(
            parse_export(no_date.as_bytes()),
            Err(ExportError::BadMessage { index: 2, .. })
        ));
    }
}
