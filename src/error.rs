//! Errors a user can fix: bad flags, study files, output directories. They end the program
//! with one line on stderr and exit code 2; everything else is a failure (exit code 1).

use thiserror::Error;

/// A problem with what the user asked for, naming the field and what is accepted.
#[derive(Debug, Error)]
#[error("{field}: {message}")]
pub struct InputError {
    /// The study-file key, flag or file at fault.
    pub field: String,
    /// What is wrong and what is accepted, on one line.
    pub message: String,
}

impl InputError {
    /// An error about a named field.
    pub fn field(field: impl Into<String>, message: impl std::fmt::Display) -> Self {
        InputError { field: field.into(), message: message.to_string().replace('\n', " ") }
    }
}

/// Shorthand for returning an input error.
pub fn input<T>(field: &str, message: impl std::fmt::Display) -> Result<T, InputError> {
    Err(InputError::field(field, message))
}
