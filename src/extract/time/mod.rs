//! Time expressions (TIMEX3).
