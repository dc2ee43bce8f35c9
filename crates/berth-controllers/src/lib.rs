//! berth-controllers
