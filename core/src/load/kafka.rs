//! Validation of a Kafka sink's keys into a [`KafkaSinkConfig`].

use super::{non_empty_path, positive, RawSink};
use crate::config::ConfigError;
use crate::config::Format;
use crate::config::{KafkaAcks, KafkaCompression, KafkaSinkConfig};

/// The keys of a Kafka sink, besides the common ones.
pub(super) const KAFKA_KEYS: &[&str] = &[
    "brokers",
    "topic",
    "topic_label",
    "error_topic",
    "debug_topic",
    "key_label",
    "format",
    "compression",
    "acks",
    "idempotence",
    "message_timeout_ms",
    "properties",
    "dead_letter_path",
];

/// Kafka's rule for topic names: 1 to 249 of `[a-zA-Z0-9._-]`, not `.` or `..`.
fn topic_name(t: &str) -> Result<(), String> {
    if t.is_empty() || t.len() > 249 {
        return Err("a topic name has 1 to 249 characters".into());
    }
    if t == "." || t == ".." {
        return Err("a topic name cannot be \".\" or \"..\"".into());
    }
    if !t
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    {
        return Err(format!(
            "{t:?} is not a valid topic name: only ASCII letters, digits, '.', '_' and '-'"
        ));
    }
    Ok(())
}

impl RawSink {
    pub(super) fn kafka(
        mut self,
        key: &dyn Fn(&str) -> String,
    ) -> Result<KafkaSinkConfig, ConfigError> {
        let brokers = self.brokers.take().unwrap_or_default();
        if brokers.is_empty() {
            return Err(ConfigError::new(
                key("brokers"),
                "a kafka sink needs at least one broker (host:port)",
            ));
        }
        for (i, b) in brokers.iter().enumerate() {
            match b.rsplit_once(':') {
                Some((host, port))
                    if !host.is_empty() && !host.contains(',') && port.parse::<u16>().is_ok() => {}
                _ => {
                    return Err(ConfigError::new(
                        key(&format!("brokers[{i}]")),
                        format!("{b:?} is not host:port"),
                    ))
                }
            }
        }
        let topic = self
            .topic
            .take()
            .ok_or_else(|| ConfigError::new(key("topic"), "a kafka sink needs a topic"))?;
        for (k, t) in [
            ("topic", Some(&topic)),
            ("error_topic", self.error_topic.as_ref()),
            ("debug_topic", self.debug_topic.as_ref()),
        ] {
            if let Some(t) = t {
                topic_name(t).map_err(|m| ConfigError::new(key(k), m))?;
            }
        }
        for (k, l) in [
            ("topic_label", &self.topic_label),
            ("key_label", &self.key_label),
        ] {
            if l.as_deref() == Some("") {
                return Err(ConfigError::new(key(k), "must not be empty"));
            }
        }
        let compression = match self.compression.as_deref() {
            None => KafkaCompression::None,
            Some(c) => KafkaCompression::from_name(c).ok_or_else(|| {
                    ConfigError::new(
                        key("compression"),
                        format!(
                            "unknown value {c:?}: expected \"none\", \"gzip\", \"snappy\", \"lz4\" or \"zstd\""
                        ),
                    )
                })?,
        };
        let acks = match self.acks.as_deref() {
            None | Some("all") => KafkaAcks::All,
            Some("1") => KafkaAcks::Leader,
            Some("0") => KafkaAcks::None,
            Some(other) => {
                return Err(ConfigError::new(
                    key("acks"),
                    format!("unknown value {other:?}: expected \"all\", \"1\" or \"0\""),
                ))
            }
        };
        let idempotence = self.idempotence.unwrap_or(acks == KafkaAcks::All);
        if idempotence && acks != KafkaAcks::All {
            return Err(ConfigError::new(
                key("idempotence"),
                "the idempotent producer needs \"acks\": \"all\"",
            ));
        }
        let message_timeout_ms = self.message_timeout_ms.unwrap_or(30_000);
        positive(&key("message_timeout_ms"), message_timeout_ms as usize)?;
        if message_timeout_ms > i32::MAX as u64 {
            return Err(ConfigError::new(
                key("message_timeout_ms"),
                "must be at most 2147483647",
            ));
        }
        let properties = self.properties.take().unwrap_or_default();
        for name in properties.keys() {
            if name.is_empty() {
                return Err(ConfigError::new(
                    key("properties"),
                    "a property name must not be empty",
                ));
            }
            if ["dr_msg_cb", "dr_cb", "opaque", "bootstrap.servers"].contains(&name.as_str()) {
                return Err(ConfigError::new(
                    key(&format!("properties.{name}")),
                    "this property is set by the sink itself",
                ));
            }
        }
        Ok(KafkaSinkConfig {
            brokers,
            topic,
            topic_label: self.topic_label,
            error_topic: self.error_topic,
            debug_topic: self.debug_topic,
            key_label: self.key_label,
            format: self.format.unwrap_or(Format::Json),
            compression,
            acks,
            idempotence,
            message_timeout_ms,
            properties,
            dead_letter_path: non_empty_path(self.dead_letter_path, &key("dead_letter_path"))?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, SinkKind, WhenFull};

    fn kafka(sink: &str) -> Result<KafkaSinkConfig, ConfigError> {
        let c = Config::from_json(&format!(r#"{{"sinks":[{sink}]}}"#))?;
        match &c.sinks[0].kind {
            SinkKind::Kafka(k) => {
                assert_eq!(c.sinks[0].when_full, WhenFull::DropNewest);
                Ok((**k).clone())
            }
            k => panic!("{k:?}"),
        }
    }

    #[test]
    fn kafka_sink_parses_with_defaults() {
        let k = kafka(r#"{"type":"kafka","brokers":["127.0.0.1:9092"],"topic":"logs"}"#).unwrap();
        assert_eq!(k.topic, "logs");
        assert_eq!(k.compression, KafkaCompression::None);
        assert_eq!((k.acks, k.idempotence), (KafkaAcks::All, true));
        assert_eq!((k.format, k.message_timeout_ms), (Format::Json, 30_000));
        assert_eq!((k.topic_label, k.key_label), (None, None));
        let k = kafka(
            r#"{"type":"kafka","brokers":["a:1","b:2"],"topic":"logs","topic_label":"stream",
                "error_topic":"logs.errors","debug_topic":"logs.debug","key_label":"service",
                "format":"text","compression":"zstd","acks":"1","message_timeout_ms":5000,
                "properties":{"socket.keepalive.enable":"true"},"dead_letter_path":"d.jsonl"}"#,
        )
        .unwrap();
        assert_eq!(k.brokers, ["a:1", "b:2"]);
        assert_eq!(k.compression, KafkaCompression::Zstd);
        assert_eq!((k.acks, k.idempotence), (KafkaAcks::Leader, false));
        assert_eq!(k.error_topic.as_deref(), Some("logs.errors"));
        assert_eq!(k.properties["socket.keepalive.enable"], "true");
    }

    #[test]
    fn kafka_sink_errors_name_the_key() {
        for (sink, k, msg) in [
            (
                r#"{"type":"kafka","topic":"t"}"#,
                "brokers",
                "at least one broker",
            ),
            (
                r#"{"type":"kafka","brokers":["x"],"topic":"t"}"#,
                "brokers[0]",
                "host:port",
            ),
            (
                r#"{"type":"kafka","brokers":["x:1"]}"#,
                "topic",
                "needs a topic",
            ),
            (
                r#"{"type":"kafka","brokers":["x:1"],"topic":"a b"}"#,
                "topic",
                "not a valid topic",
            ),
            (
                r#"{"type":"kafka","brokers":["x:1"],"topic":"t","error_topic":".."}"#,
                "error_topic",
                "cannot be",
            ),
            (
                r#"{"type":"kafka","brokers":["x:1"],"topic":"t","compression":"brotli"}"#,
                "compression",
                "\"zstd\"",
            ),
            (
                r#"{"type":"kafka","brokers":["x:1"],"topic":"t","acks":"2"}"#,
                "acks",
                "\"all\"",
            ),
            (
                r#"{"type":"kafka","brokers":["x:1"],"topic":"t","acks":"1","idempotence":true}"#,
                "idempotence",
                "needs \"acks\": \"all\"",
            ),
            (
                r#"{"type":"kafka","brokers":["x:1"],"topic":"t","key_label":""}"#,
                "key_label",
                "must not be empty",
            ),
            (
                r#"{"type":"kafka","brokers":["x:1"],"topic":"t","message_timeout_ms":0}"#,
                "message_timeout_ms",
                "greater than 0",
            ),
            (
                r#"{"type":"kafka","brokers":["x:1"],"topic":"t","properties":{"bootstrap.servers":"y:1"}}"#,
                "properties.bootstrap.servers",
                "set by the sink",
            ),
            (
                r#"{"type":"kafka","brokers":["x:1"],"topic":"t","url":"http://x"}"#,
                "url",
                "not a key of a kafka sink",
            ),
        ] {
            let e = kafka(sink).unwrap_err();
            assert_eq!(e.key, format!("sinks[0].{k}"), "{sink}: {e}");
            assert!(e.message.contains(msg), "{sink}: {e}");
        }
    }
}
