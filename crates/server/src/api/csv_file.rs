//! A CSV file as a download: the byte-order mark a spreadsheet needs (or none, for scripts),
//! the content type and the file name to save it as.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use fairtill_protocol::ExportQuery;

/// Answers `body` (CSV without a preamble) as the file `file_name`, for whom `export` says.
pub fn csv_file(export: ExportQuery, file_name: &str, body: &[u8]) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        [export.made_for().preamble(), body].concat(),
    )
        .into_response()
}
