//! The bar fill rules, each on a few hand-made bars with the expected fills worked out by hand.

use super::*;
use crate::risk::RiskLimits;

const DAY: i64 = 86_400_000;

/// A broker, an account and a clock of bars: orders are placed on the current bar's close and fill from the next.
struct Desk {
    broker: SimulatedBroker,
    book: Portfolio,
    risk: RiskEngine,
    bar: usize,
    ts: i64,
    seq: u64,
    rejected: Vec<Rejection>,
}

impl Desk {
    fn new(cash: f64) -> Self {
        Self::with(SimulatedBroker::new(FillModel::default()), cash)
    }

    fn with(broker: SimulatedBroker, cash: f64) -> Self {
        Self {
            broker,
            book: Portfolio::new(cash),
            risk: RiskEngine::new(RiskLimits::default(), cash),
            bar: 0,
            ts: 0,
            seq: 0,
            rejected: vec![],
        }
    }

    /// Places an order on the current bar's close (`close`); returns its sequence number.
    fn place(&mut self, close: f64, action: Action, f: impl FnOnce(&mut OrderIntent)) -> u64 {
        self.seq += 1;
        let mut o = OrderIntent::market(self.seq, self.ts, action);
        f(&mut o);
        self.broker.submit(&[o], close, self.bar, self.ts, &mut self.rejected);
        self.seq
    }

    /// The next bar (a day later): its fills as (kind, side, qty, price).
    fn bar(&mut self, open: f64, high: f64, low: f64, close: f64) -> Vec<(FillKind, Side, f64, f64)> {
        self.bar += 1;
        self.ts += DAY;
        let b = Bar { ts: self.ts, open, high, low, close, volume: 0.0 };
        let (mut fills, mut denied) = (vec![], vec![]);
        let mut out =
            OpenOutcome { fills: &mut fills, rejected: &mut self.rejected, denied: &mut denied, risk: &mut self.risk };
        self.broker.on_open(&b, self.bar, &mut self.book, &mut out);
        fills.iter().map(|f| (f.kind, f.side, f.qty, f.price)).collect()
    }

    fn reasons(&self) -> Vec<&str> {
        self.rejected.iter().map(|r| r.reason.as_str()).collect()
    }
}

fn units(q: f64) -> Quantity {
    Quantity::Units(q)
}

use FillKind as K;
use Side::{Buy as B, Sell as S};

#[test]
fn a_limit_fills_at_its_price_when_a_later_bar_trades_through_it_and_at_the_open_on_a_gap() {
    let mut d = Desk::new(10_000.0);
    d.place(100.0, Action::Buy(units(1.0)), |o| o.kind = OrderType::Limit(98.0));
    // Not reached (low 98.5): nothing.
    assert_eq!(d.bar(99.0, 101.0, 98.5, 100.0), vec![]);
    // Traded through: at the limit.
    assert_eq!(d.bar(99.5, 100.0, 97.0, 99.0), vec![(K::Limit, B, 1.0, 98.0)]);
    // A sell limit above; the bar gaps over it: at the open, which is better.
    d.place(99.0, Action::Sell(units(1.0)), |o| o.kind = OrderType::Limit(101.0));
    assert_eq!(d.bar(103.0, 104.0, 102.0, 103.0), vec![(K::Limit, S, 1.0, 103.0)]);
}

#[test]
fn nothing_fills_on_the_bar_the_order_was_placed_on() {
    let mut d = Desk::new(10_000.0);
    d.place(100.0, Action::Buy(units(1.0)), |o| o.kind = OrderType::Limit(100.0));
    // The broker is asked about the placement bar again (as a live feed could): the order is not yet eligible.
    let b = Bar { ts: 0, open: 100.0, high: 100.0, low: 90.0, close: 95.0, volume: 0.0 };
    let (mut fills, mut denied) = (vec![], vec![]);
    let mut out = OpenOutcome { fills: &mut fills, rejected: &mut d.rejected, denied: &mut denied, risk: &mut d.risk };
    d.broker.on_open(&b, 0, &mut d.book, &mut out);
    assert!(fills.is_empty());
    assert_eq!(d.bar(99.0, 100.0, 98.0, 99.0), vec![(K::Limit, B, 1.0, 99.0)], "at the open: better than 100");
}

#[test]
fn a_stop_fills_at_its_price_or_at_the_gapped_open_with_slippage() {
    let model = FillModel { slippage_bps: 10.0, ..FillModel::default() };
    let mut d = Desk::with(SimulatedBroker::new(model), 10_000.0);
    d.place(100.0, Action::Buy(units(2.0)), |o| o.kind = OrderType::Stop(105.0));
    assert_eq!(d.bar(101.0, 104.9, 100.0, 104.0), vec![]);
    assert_eq!(d.bar(104.0, 106.0, 103.0, 105.5), vec![(K::Stop, B, 2.0, model.price(B, 105.0))]);
    d.place(105.5, Action::Sell(units(2.0)), |o| o.kind = OrderType::Stop(100.0));
    // Gaps down through the stop: at the open (less the slippage), not at the stop.
    assert_eq!(d.bar(97.0, 98.0, 95.0, 96.0), vec![(K::Stop, S, 2.0, model.price(S, 97.0))]);
}

#[test]
fn a_stop_limit_turns_into_a_limit_at_its_stop() {
    let mut d = Desk::new(10_000.0);
    // Buy stop 105, limit 106.
    d.place(100.0, Action::Buy(units(1.0)), |o| o.kind = OrderType::StopLimit { stop: 105.0, limit: 106.0 });
    // Reaches 105 inside the bar: fills at the stop, within the limit.
    assert_eq!(d.bar(101.0, 107.0, 100.0, 106.0), vec![(K::StopLimit, B, 1.0, 105.0)]);
    // Gaps over the limit (open 108): triggered but not fillable; the bar comes back to 106 after its open: at 106.
    d.place(106.0, Action::Buy(units(1.0)), |o| o.kind = OrderType::StopLimit { stop: 107.0, limit: 106.0 });
    assert_eq!(d.bar(108.0, 109.0, 105.0, 106.5), vec![(K::StopLimit, B, 1.0, 106.0)]);
    // Gaps over and never comes back: it works on as a limit at 106, and fills on a later bar.
    d.place(106.5, Action::Buy(units(1.0)), |o| o.kind = OrderType::StopLimit { stop: 107.0, limit: 106.0 });
    assert_eq!(d.bar(108.0, 110.0, 107.0, 109.0), vec![]);
    assert_eq!(d.bar(109.0, 109.0, 105.0, 106.0), vec![(K::StopLimit, B, 1.0, 106.0)]);
}

#[test]
fn a_stop_on_the_wrong_side_of_the_market_is_rejected_with_its_reason() {
    let mut d = Desk::new(10_000.0);
    d.place(100.0, Action::Buy(units(1.0)), |o| o.kind = OrderType::Stop(99.0));
    d.place(100.0, Action::Sell(units(1.0)), |o| o.kind = OrderType::Stop(101.0));
    d.place(100.0, Action::Buy(units(1.0)), |o| o.exits.stop_loss = Some(Level::Price(100.5)));
    d.place(100.0, Action::Short(units(1.0)), |o| o.exits.take_profit = Some(Level::Price(101.0)));
    assert_eq!(d.broker.pending(), 0);
    assert_eq!(
        d.reasons(),
        vec![
            "a buy stop at 99 is at or below the market (100): it would fill at once — use a market order or a limit",
            "a sell stop at 101 is at or above the market (100): it would fill at once — use a market order or a limit",
            "the stop-loss at 100.5 is not below the long entry's price (100)",
            "the take-profit at 101 is not below the short entry's price (100)",
        ]
    );
    assert_eq!(d.bar(90.0, 110.0, 80.0, 100.0), vec![]);
}

#[test]
fn orders_expire_after_their_bars_or_their_day() {
    let mut d = Desk::new(10_000.0);
    d.place(100.0, Action::Buy(units(1.0)), |o| {
        o.kind = OrderType::Limit(90.0);
        o.tif = TimeInForce::Bars(2);
    });
    d.place(100.0, Action::Buy(units(1.0)), |o| {
        o.kind = OrderType::Limit(95.0);
        o.tif = TimeInForce::Day;
    });
    // Daily bars: the DAY order works for the next bar only.
    assert_eq!(d.bar(100.0, 101.0, 96.0, 100.0), vec![]);
    assert_eq!(d.broker.counts().expired, 0);
    assert_eq!(d.bar(100.0, 101.0, 96.0, 100.0), vec![]);
    assert_eq!(d.broker.counts().expired, 1, "the day order");
    // Bar 3 would fill the 90 limit, but it worked for bars 1 and 2 only.
    assert_eq!(d.bar(92.0, 93.0, 85.0, 90.0), vec![]);
    assert_eq!(d.broker.counts().expired, 2);
    assert_eq!(d.broker.pending(), 0);
}

#[test]
fn a_name_cancels_and_replaces() {
    let mut d = Desk::new(10_000.0);
    let named = |o: &mut OrderIntent, price: f64| {
        o.kind = OrderType::Limit(price);
        o.tag = Some(0);
    };
    d.place(100.0, Action::Buy(units(1.0)), |o| named(o, 95.0));
    // Replaced by the same name at 97: only one order works, at 97.
    d.place(100.0, Action::Buy(units(2.0)), |o| named(o, 97.0));
    assert_eq!(d.broker.pending(), 1);
    assert_eq!(d.broker.counts().cancelled, 1);
    assert_eq!(d.bar(99.0, 100.0, 94.0, 96.0), vec![(K::Limit, B, 2.0, 97.0)]);
    d.place(96.0, Action::Sell(units(2.0)), |o| named(o, 110.0));
    d.place(96.0, Action::Cancel(0), |_| {});
    assert_eq!(d.broker.pending(), 0);
    assert_eq!(d.bar(100.0, 120.0, 99.0, 115.0), vec![]);
    // A filled entry's exits stay when its name is cancelled: they protect the position.
    d.place(115.0, Action::Sell(units(2.0)), |o| o.tag = Some(1));
    d.bar(115.0, 115.0, 115.0, 115.0);
    d.place(115.0, Action::Buy(units(1.0)), |o| {
        o.tag = Some(1);
        o.exits.stop_loss = Some(Level::Price(110.0));
    });
    assert_eq!(d.bar(115.0, 116.0, 114.0, 115.0), vec![(K::Market, B, 1.0, 115.0)]);
    d.place(115.0, Action::Cancel(1), |_| {});
    assert_eq!(d.broker.pending(), 1, "the stop-loss works on");
    assert_eq!(d.bar(112.0, 113.0, 109.0, 110.0), vec![(K::StopLoss, S, 1.0, 110.0)]);
}

#[test]
fn a_bracket_becomes_two_exits_one_cancelling_the_other() {
    let mut d = Desk::new(10_000.0);
    d.place(100.0, Action::Buy(units(10.0)), |o| {
        o.exits.stop_loss = Some(Level::Percent(5.0));
        o.exits.take_profit = Some(Level::Price(110.0));
    });
    // Filled at the open 100: stop 95, target 110, working from the fill on.
    assert_eq!(d.bar(100.0, 104.0, 97.0, 103.0), vec![(K::Market, B, 10.0, 100.0)]);
    assert_eq!(d.broker.pending(), 2);
    // The target is reached; the stop goes with it.
    assert_eq!(d.bar(103.0, 111.0, 102.0, 108.0), vec![(K::TakeProfit, S, 10.0, 110.0)]);
    assert_eq!(d.broker.pending(), 0);
    assert_eq!(d.book.position(), 0.0);
}

#[test]
fn exits_attached_to_a_fill_inside_a_bar_see_only_the_rest_of_the_bar() {
    let mut d = Desk::new(10_000.0);
    // A buy stop at 102 with a stop-loss at 99; the bar goes up first (the nearer extreme), to 103, then down to 98.
    d.place(100.0, Action::Buy(units(1.0)), |o| {
        o.kind = OrderType::Stop(102.0);
        o.exits.stop_loss = Some(Level::Price(99.0));
    });
    let fills = d.bar(101.0, 103.0, 98.0, 99.0);
    assert_eq!(fills, vec![(K::Stop, B, 1.0, 102.0), (K::StopLoss, S, 1.0, 99.0)]);
}

#[test]
fn a_bar_reaching_both_the_stop_and_the_target_is_counted_ambiguous() {
    let run = |path: IntrabarPath| {
        let mut d = Desk::with(SimulatedBroker::new(FillModel::default()).with_path(path), 10_000.0);
        d.place(100.0, Action::Buy(units(10.0)), |o| {
            o.exits.stop_loss = Some(Level::Price(95.0));
            o.exits.take_profit = Some(Level::Price(105.0));
        });
        d.bar(100.0, 101.0, 99.0, 100.0);
        let fills = d.bar(100.0, 106.0, 94.0, 100.0);
        (fills, d.broker.counts().ambiguous, d.book.cash())
    };
    let (high_first, n, cash_high) = run(IntrabarPath::HighFirst);
    assert_eq!(high_first, vec![(K::TakeProfit, S, 10.0, 105.0)]);
    assert_eq!(n, 1);
    let (low_first, n, cash_low) = run(IntrabarPath::LowFirst);
    assert_eq!(low_first, vec![(K::StopLoss, S, 10.0, 95.0)]);
    assert_eq!(n, 1);
    assert_eq!(cash_high - cash_low, 100.0, "the band: 10 units × (105 − 95)");
    // Nearest: the open is 6 from both; the low first on a tie.
    assert_eq!(run(IntrabarPath::Nearest).0, low_first);
}

#[test]
fn a_trailing_stop_moves_at_each_close_to_trail_the_best_price() {
    let mut d = Desk::new(10_000.0);
    d.place(100.0, Action::Buy(units(1.0)), |o| o.exits.trail = Some(Level::Price(5.0)));
    // Filled at 100; the high 108 after the fill moves the stop to 103 at the close.
    assert_eq!(d.bar(100.0, 108.0, 99.0, 107.0), vec![(K::Market, B, 1.0, 100.0)]);
    // 110 is reached, but the stop stays at 103 during the bar; the low 104 does not reach it.
    assert_eq!(d.bar(107.0, 110.0, 104.0, 109.0), vec![]);
    // Now at 105: a gap down to 104 fills at the open.
    assert_eq!(d.bar(104.0, 104.5, 101.0, 102.0), vec![(K::Trail, S, 1.0, 104.0)]);
    // A percent trail on a short: 10 % above the lowest low.
    d.place(102.0, Action::Short(units(1.0)), |o| o.exits.trail = Some(Level::Percent(10.0)));
    assert_eq!(d.bar(100.0, 101.0, 90.0, 92.0), vec![(K::Market, S, 1.0, 100.0)]);
    // The stop is at 99 (90 × 1.1); reached at 99.
    assert_eq!(d.bar(95.0, 99.5, 94.0, 99.0), vec![(K::Trail, B, 1.0, 90.0 * (1.0 + 10.0 / 100.0))]);
}

#[test]
fn shorts_are_sized_within_the_margin_and_covered() {
    let mut d = Desk::new(10_000.0);
    // 50 % margin: at most 20,000 of shorts on 10,000 of equity; 300 units at 100 asks for 30,000.
    d.place(100.0, Action::Short(units(300.0)), |_| {});
    assert_eq!(d.bar(100.0, 100.0, 100.0, 100.0), vec![(K::Market, S, 200.0, 100.0)]);
    assert_eq!(d.book.position(), -200.0);
    d.place(100.0, Action::Short(units(1.0)), |_| {});
    assert_eq!(d.bar(100.0, 100.0, 100.0, 100.0), vec![]);
    assert!(d.reasons()[0].starts_with("insufficient margin to short"), "{:?}", d.reasons());
    d.place(100.0, Action::Cover(Quantity::Percent(50.0)), |_| {});
    assert_eq!(d.bar(90.0, 90.0, 90.0, 90.0), vec![(K::Market, B, 100.0, 90.0)]);
    d.place(90.0, Action::Buy(units(5.0)), |_| {});
    d.place(90.0, Action::Sell(units(1.0)), |_| {});
    let fills = d.bar(90.0, 90.0, 90.0, 90.0);
    assert_eq!(fills, vec![(K::Market, B, 5.0, 90.0)], "the sell finds no long");
    assert_eq!(d.book.position(), -95.0);
    assert!(d.reasons().last().is_some_and(|r| r.starts_with("nothing to sell")));
}

#[test]
fn pyramiding_caps_the_entries_into_one_position() {
    let mut d = Desk::with(SimulatedBroker::new(FillModel::default()).with_pyramiding(Some(2)), 10_000.0);
    for _ in 0..3 {
        d.place(10.0, Action::Buy(units(1.0)), |_| {});
        d.bar(10.0, 10.0, 10.0, 10.0);
    }
    assert_eq!(d.book.position(), 2.0);
    assert_eq!(d.reasons(), vec!["pyramiding limit reached: 2 entries into the open position"]);
    // Flat again: entries count afresh.
    d.place(10.0, Action::Close, |_| {});
    d.bar(10.0, 10.0, 10.0, 10.0);
    d.place(10.0, Action::Buy(units(1.0)), |_| {});
    d.place(10.0, Action::Buy(units(1.0)), |_| {});
    d.bar(10.0, 10.0, 10.0, 10.0);
    assert_eq!(d.book.position(), 2.0);
}

#[test]
fn a_risk_size_loses_its_percent_at_the_stop() {
    let mut d = Desk::new(100_000.0);
    // 1 % of 100,000 between the fill at 50 and the stop at 48: 500 units.
    d.place(50.0, Action::Buy(Quantity::Risk(1.0)), |o| o.exits.stop_loss = Some(Level::Price(48.0)));
    assert_eq!(d.bar(50.0, 51.0, 49.0, 50.0), vec![(K::Market, B, 500.0, 50.0)]);
    let fills = d.bar(49.0, 49.5, 47.0, 47.5);
    assert_eq!(fills, vec![(K::StopLoss, S, 500.0, 48.0)]);
    assert_eq!(d.book.cash(), 99_000.0, "exactly 1 % lost");
}
