//! Stolen employee credentials (as REKK did): a refund gang gets hold of an honest support
//! agent's login and uses it from the gang's own devices and IPs, at hours when the agent
//! is off shift. A session starts with a few failed attempts, then succeeds; in it the
//! gang marks its empty returns received, overrides holds and approves its own fraudulent
//! refunds. The agent is a victim, labelled so that the account is known to be abused.
//!
//! Everything here draws from the simulator's one random stream, but only when stolen
//! credentials are configured, so the honest stream of a config without them is
//! unchanged.

use super::*;
use std::collections::BTreeSet;

/// Whose login which gang uses.
#[derive(Debug, Default)]
pub(super) struct Creds {
    /// (gang, employee)
    pub(super) stolen: Vec<(u16, u32)>,
}

impl Sim<'_> {
    /// Gives the first configured gangs an honest agent's credentials.
    pub(super) fn setup_creds(&mut self, staff: &mut BTreeSet<u32>) {
        let n = (self.cfg.stolen_credentials as usize).min(self.gangs.len());
        for k in 0..n {
            if let Some(e) = self.pick_employee(false, staff) {
                self.creds.stolen.push(((k + 1) as u16, e));
            }
        }
    }

    /// The employee whose credentials the gang holds, if any.
    pub(super) fn stolen_login(&self, g: u16) -> Option<u32> {
        self.creds
            .stolen
            .iter()
            .find(|&&(gang, _)| gang == g)
            .map(|&(_, e)| e)
    }

    /// The gang logs in as employee `e` off shift and pushes its refund through: marks the
    /// return received (if any), overrides the hold and approves, and the refund is issued
    /// under the agent's name. Returns the time of the refund.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn misuse_refund(
        &mut self,
        ts: i64,
        g: u16,
        e: u32,
        o: &Order,
        ret: Option<u64>,
        refund: u64,
        amount: i64,
    ) -> i64 {
        let (device, ip) = self.operator_kit(g);
        // Off shift: the agent's shift starts at (e % 3) × 8 h UTC and lasts eight hours.
        let odd = match e % 3 {
            0 => 20 * HOUR,
            1 => HOUR,
            _ => 9 * HOUR,
        } + self.r.range(0, 3 * HOUR);
        let after = ts + self.r.range(30 * MIN, 12 * HOUR);
        let day = after - (after - self.start).rem_euclid(DAY);
        let mut t = day + odd;
        if t < after {
            t += DAY;
        }
        for _ in 0..1 + self.r.weighted(&self.cfg.rates.credential_failure_weights) {
            self.stolen_login_event(t, e, false, device, &ip);
            t += self.r.range(15, 120);
        }
        self.stolen_login_event(t, e, true, device, &ip);
        t += self.r.range(MIN, 6 * MIN);
        if let Some(r) = ret {
            let mut j = self.ev(t, "employee_action");
            j.disp("employee_id", &Emp(e));
            j.str("action", "mark_return_received");
            j.fmt("return_id", format_args!("ret-{r:08}"));
            j.str("order_id", &o.id);
            self.emit(j);
            t += self.r.range(MIN, 5 * MIN);
        }
        let overridden = self.r.chance(self.cfg.rates.credential_override_share);
        if overridden {
            let mut j = self.ev(t, "employee_action");
            j.disp("employee_id", &Emp(e));
            j.str("action", "override_hold");
            j.disp("account_id", &Acct(o.cust));
            j.str("order_id", &o.id);
            j.fmt("refund_id", format_args!("ref-{refund:08}"));
            self.emit(j);
            t += self.r.range(30, 3 * MIN);
        }
        let mut j = self.ev(t, "employee_action");
        j.disp("employee_id", &Emp(e));
        j.str("action", "approve_refund");
        j.fmt("refund_id", format_args!("ref-{refund:08}"));
        j.str("order_id", &o.id);
        if let Some(r) = ret {
            j.fmt("return_id", format_args!("ret-{r:08}"));
        }
        self.emit(j);
        t += self.r.range(5, 90);
        let mut j = self.ev(t, "refund_issued");
        j.fmt("refund_id", format_args!("ref-{refund:08}"));
        j.int("amount_minor", amount);
        j.str("currency", country(o.country).currency);
        j.bool("override", overridden);
        j.disp("employee_id", &Emp(e));
        let at = j.at;
        self.emit(j);
        at
    }

    fn stolen_login_event(&mut self, ts: i64, e: u32, success: bool, device: u64, ip: &str) {
        let mut j = self.ev(ts, "employee_login");
        j.disp("employee_id", &Emp(e));
        j.bool("success", success);
        j.str("ip", ip);
        j.disp("device_id", &Dev(device));
        self.emit(j);
    }
}
