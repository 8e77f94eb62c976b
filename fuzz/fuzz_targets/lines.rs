//! Shared by the import targets: what a reported line number may be.

/// The most lines `data` can have, counting LF, CR LF and a lone CR each as one line end.
pub fn most_lines(data: &[u8]) -> u64 {
    let ends = data
        .iter()
        .enumerate()
        .filter(|(i, b)| **b == b'\n' || (**b == b'\r' && data.get(i + 1) != Some(&b'\n')))
        .count();
    u64::try_from(ends).unwrap_or(u64::MAX).saturating_add(1)
}
