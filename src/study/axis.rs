//! One axis of a study's grid as a study file writes it: a single value (`dataset =
//! "lines-32"`, a `[vae]` table) or a list of values (`dataset = ["squares-2x2", "lines-32"]`,
//! `[[vae]]` tables), recorded back in the same form, a single value as itself.

use serde::{Serialize, Serializer};

/// Reads an axis from its TOML value, each value through `each`; an error names the key and,
/// in a list, the position.
pub fn read<T>(
    value: toml::Value,
    key: &str,
    each: impl Fn(toml::Value) -> Result<T, String>,
) -> Result<Vec<T>, String> {
    match value {
        toml::Value::Array(values) if values.is_empty() => Err(format!("{key}: must list at least one value")),
        toml::Value::Array(values) => values
            .into_iter()
            .enumerate()
            .map(|(k, v)| each(v).map_err(|e| format!("{e} (value {} of the {key} list)", k + 1)))
            .collect(),
        single => each(single).map(|v| vec![v]),
    }
}

/// Writes an axis: a single value as itself, several as a list.
pub fn write<T: Serialize, S: Serializer>(values: &[T], s: S) -> Result<S::Ok, S::Error> {
    match values {
        [single] => single.serialize(s),
        many => many.serialize(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(text: &str) -> Result<Vec<i64>, String> {
        let value: toml::Table = toml::from_str(text).unwrap();
        read(value["x"].clone(), "x", |v| v.as_integer().ok_or_else(|| format!("x: {v} is not a number")))
    }

    #[test]
    fn one_value_or_a_list() {
        assert_eq!(numbers("x = 3").unwrap(), vec![3]);
        assert_eq!(numbers("x = [3, 4]").unwrap(), vec![3, 4]);
        assert_eq!(numbers("x = []").unwrap_err(), "x: must list at least one value");
        assert_eq!(numbers("x = [3, \"a\"]").unwrap_err(), "x: \"a\" is not a number (value 2 of the x list)");
    }
}
