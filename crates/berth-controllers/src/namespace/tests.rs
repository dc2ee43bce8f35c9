//! Component tests of the namespace controller against a recording fake.
