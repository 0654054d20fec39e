//! Pinned build images, the Docker runner, build environment, variations.
