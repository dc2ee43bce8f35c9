//! Component tests of the serviceaccount controller against a recording fake.
