//! A tiny CBOR value model for tests that speak the automerge-repo wire protocol by hand:
//! build any message (including ones with wrong field types) and read what the relay sends.
//! Encoding and decoding go through minicbor; nothing here knows the protocol.

use minicbor::data::Type;

/// A CBOR data item (the subset the protocol and the hostile-frame tests need).
#[derive(Debug, Clone, PartialEq)]
pub enum Cbor {
    Uint(u64),
    Nint(u64),
    Bytes(Vec<u8>),
    Str(String),
    Array(Vec<Cbor>),
    Map(Vec<(Cbor, Cbor)>),
    Bool(bool),
    Null,
    F64(f64),
    Tag(u64, Box<Cbor>),
}

impl Cbor {
    /// A map with string keys, in the given order.
    pub fn map<K: Into<String>>(entries: impl IntoIterator<Item = (K, Cbor)>) -> Cbor {
        Cbor::Map(
            entries
                .into_iter()
                .map(|(k, v)| (Cbor::Str(k.into()), v))
                .collect(),
        )
    }

    pub fn str(s: impl Into<String>) -> Cbor {
        Cbor::Str(s.into())
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut e = minicbor::Encoder::new(Vec::new());
        self.write(&mut e).expect("encoding into a Vec cannot fail");
        e.into_writer()
    }

    fn write(
        &self,
        e: &mut minicbor::Encoder<Vec<u8>>,
    ) -> Result<(), minicbor::encode::Error<std::convert::Infallible>> {
        match self {
            Cbor::Uint(n) => {
                e.u64(*n)?;
            }
            Cbor::Nint(n) => {
                e.int(minicbor::data::Int::try_from(-1 - i128::from(*n)).expect("in range"))?;
            }
            Cbor::Bytes(b) => {
                e.bytes(b)?;
            }
            Cbor::Str(s) => {
                e.str(s)?;
            }
            Cbor::Array(items) => {
                e.array(items.len() as u64)?;
                for item in items {
                    item.write(e)?;
                }
            }
            Cbor::Map(entries) => {
                e.map(entries.len() as u64)?;
                for (k, v) in entries {
                    k.write(e)?;
                    v.write(e)?;
                }
            }
            Cbor::Bool(b) => {
                e.bool(*b)?;
            }
            Cbor::Null => {
                e.null()?;
            }
            Cbor::F64(f) => {
                e.f64(*f)?;
            }
            Cbor::Tag(t, v) => {
                e.tag(minicbor::data::Tag::new(*t))?;
                v.write(e)?;
            }
        }
        Ok(())
    }

    /// Decodes one whole data item; `None` if `bytes` is not exactly one well-formed item.
    pub fn decode(bytes: &[u8]) -> Option<Cbor> {
        let mut d = minicbor::Decoder::new(bytes);
        let v = read(&mut d, 0)?;
        (d.position() == bytes.len()).then_some(v)
    }

    /// The value under string key `key` of a map.
    pub fn get(&self, key: &str) -> Option<&Cbor> {
        match self {
            Cbor::Map(entries) => entries
                .iter()
                .find(|(k, _)| matches!(k, Cbor::Str(s) if s == key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn get_str(&self, key: &str) -> Option<&str> {
        match self.get(key)? {
            Cbor::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn get_bytes(&self, key: &str) -> Option<&[u8]> {
        match self.get(key)? {
            Cbor::Bytes(b) => Some(b),
            _ => None,
        }
    }
}

fn read(d: &mut minicbor::Decoder<'_>, depth: usize) -> Option<Cbor> {
    if depth > 64 {
        return None;
    }
    Some(match d.datatype().ok()? {
        Type::U8 | Type::U16 | Type::U32 | Type::U64 => Cbor::Uint(d.u64().ok()?),
        Type::I8 | Type::I16 | Type::I32 | Type::I64 | Type::Int => {
            let i = i128::from(d.int().ok()?);
            if i >= 0 {
                Cbor::Uint(i as u64)
            } else {
                Cbor::Nint((-1 - i) as u64)
            }
        }
        Type::Bytes => Cbor::Bytes(d.bytes().ok()?.to_vec()),
        Type::String => Cbor::Str(d.str().ok()?.to_owned()),
        Type::Array => {
            let n = d.array().ok()??;
            let mut items = Vec::new();
            for _ in 0..n {
                items.push(read(d, depth + 1)?);
            }
            Cbor::Array(items)
        }
        Type::Map => {
            let n = d.map().ok()??;
            let mut entries = Vec::new();
            for _ in 0..n {
                let k = read(d, depth + 1)?;
                let v = read(d, depth + 1)?;
                entries.push((k, v));
            }
            Cbor::Map(entries)
        }
        Type::Bool => Cbor::Bool(d.bool().ok()?),
        Type::Null => {
            d.null().ok()?;
            Cbor::Null
        }
        Type::F32 => Cbor::F64(f64::from(d.f32().ok()?)),
        Type::F64 => Cbor::F64(d.f64().ok()?),
        Type::Tag => {
            let t = d.tag().ok()?;
            Cbor::Tag(t.as_u64(), Box::new(read(d, depth + 1)?))
        }
        _ => return None,
    })
}
