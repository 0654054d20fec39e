//! Fetching, verification, content-addressed cache, mirrors and safe unpacking of recipe sources.
