//! Fan-out of one watch's items to its subscribers.

use super::*;

#[test]
fn every_subscriber_gets_every_item_in_order() {
    let (mut txs, mut rxs): (Vec<_>, Vec<_>) = (0..3).map(|_| unbounded_channel::<String>()).unzip();
    for item in ["a", "b", "c"] {
        fan_out(&mut txs, item.to_string());
    }
    for rx in &mut rxs {
        let got: Vec<String> = std::iter::from_fn(|| rx.try_recv().ok()).collect();
        assert_eq!(got, ["a", "b", "c"]);
    }
    assert_eq!(txs.len(), 3);
}

#[test]
fn subscribers_that_are_gone_are_forgotten_and_the_rest_still_served() {
    let (mut txs, rxs): (Vec<_>, Vec<_>) = (0..3).map(|_| unbounded_channel::<u32>()).unzip();
    let mut rxs: Vec<_> = rxs.into_iter().map(Some).collect();
    fan_out(&mut txs, 1);
    // The last one goes: the item it would have taken still reaches the others.
    rxs[2] = None;
    fan_out(&mut txs, 2);
    assert_eq!(txs.len(), 2);
    rxs[0] = None;
    fan_out(&mut txs, 3);
    assert_eq!(txs.len(), 1);
    let rx = rxs[1].as_mut().expect("still subscribed");
    let got: Vec<u32> = std::iter::from_fn(|| rx.try_recv().ok()).collect();
    assert_eq!(got, [1, 2, 3]);
    rxs[1] = None;
    fan_out(&mut txs, 4);
    assert!(txs.is_empty());
}

#[test]
fn no_subscribers_is_nothing_to_do() {
    let mut txs: Vec<UnboundedSender<u32>> = Vec::new();
    fan_out(&mut txs, 1);
    assert!(txs.is_empty());
}
