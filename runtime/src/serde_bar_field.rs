//! Serde for the stdlib's `BarField` (stdlib has no dependencies, so the impl lives here).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use strata_stdlib::BarField;

pub fn serialize<S: Serializer>(f: &BarField, s: S) -> Result<S::Ok, S::Error> {
    f.name().serialize(s)
}

pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<BarField, D::Error> {
    let name = String::deserialize(d)?;
    BarField::from_name(&name).ok_or_else(|| serde::de::Error::custom(format!("unknown bar field '{name}'")))
}
