//! Evaluation of the extraction core against gold data.
