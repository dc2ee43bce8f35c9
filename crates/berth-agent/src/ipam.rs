//! Pod IP allocation from the node's pod CIDR (10.244.0.0/16), host-local style: addresses are
//! handed out round-robin so a freed address is not reused at once.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

/// The pod network of the single node.
pub const POD_CIDR: &str = "10.244.0.0/16";

const BASE: u32 = u32::from_be_bytes([10, 244, 0, 0]);
const SIZE: u32 = 1 << 16;
/// `.0.0` is the network, `.0.1` the gateway, `.255.255` the broadcast address.
const FIRST: u32 = 2;
const LAST: u32 = SIZE - 2;

/// Allocated addresses and where the next search starts.
#[derive(Debug, Default)]
pub struct Ipam {
    used: BTreeSet<u32>,
    next: u32,
}

impl Ipam {
    /// The next free address, marked used; `None` when the range is full.
    pub fn allocate(&mut self) -> Option<Ipv4Addr> {
        let span = LAST - FIRST + 1;
        let start = self.next.clamp(FIRST, LAST);
        for i in 0..span {
            let off = FIRST + (start - FIRST + i) % span;
            if self.used.insert(off) {
                self.next = if off == LAST { FIRST } else { off + 1 };
                return Some(Ipv4Addr::from(BASE + off));
            }
        }
        None
    }

    /// Marks an address recorded before a restart as used; false if it is outside the range or taken.
    pub fn reserve(&mut self, ip: Ipv4Addr) -> bool {
        let n = u32::from(ip);
        if !(BASE + FIRST..=BASE + LAST).contains(&n) {
            return false;
        }
        self.used.insert(n - BASE)
    }

    pub fn release(&mut self, ip: Ipv4Addr) {
        self.used.remove(&u32::from(ip).wrapping_sub(BASE));
    }

    pub fn in_use(&self) -> usize {
        self.used.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_addresses_skip_network_and_gateway() {
        let mut ipam = Ipam::default();
        assert_eq!(ipam.allocate(), Some(Ipv4Addr::new(10, 244, 0, 2)));
        assert_eq!(ipam.allocate(), Some(Ipv4Addr::new(10, 244, 0, 3)));
    }

    #[test]
    fn a_released_address_is_not_reused_at_once() {
        let mut ipam = Ipam::default();
        let a = ipam.allocate().expect("free");
        ipam.release(a);
        assert_ne!(ipam.allocate(), Some(a));
    }

    #[test]
    fn a_reserved_address_is_skipped() {
        let mut ipam = Ipam::default();
        assert!(ipam.reserve(Ipv4Addr::new(10, 244, 0, 2)));
        assert!(!ipam.reserve(Ipv4Addr::new(10, 244, 0, 2)));
        assert!(!ipam.reserve(Ipv4Addr::new(192, 168, 0, 2)));
        assert_eq!(ipam.allocate(), Some(Ipv4Addr::new(10, 244, 0, 3)));
    }

    #[test]
    fn the_whole_range_is_unique_then_exhausted() {
        let mut ipam = Ipam::default();
        let mut seen = BTreeSet::new();
        while let Some(ip) = ipam.allocate() {
            assert!(seen.insert(ip), "{ip} handed out twice");
        }
        assert_eq!(seen.len(), (LAST - FIRST + 1) as usize);
        assert_eq!(seen.last(), Some(&Ipv4Addr::new(10, 244, 255, 254)));
        ipam.release(Ipv4Addr::new(10, 244, 7, 7));
        assert_eq!(ipam.allocate(), Some(Ipv4Addr::new(10, 244, 7, 7)));
    }
}
