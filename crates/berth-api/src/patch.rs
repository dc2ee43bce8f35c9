//! patch (to be written)
