import copy

import pytest
import yaml
from typer.testing import CliRunner

from tests.contract import DEFAULT_ROUTES
from ticketbuddy.cli import app
from ticketbuddy.policy.engine import Learned, PolicyEngine
from ticketbuddy.policy.model import PolicyError, default_policy_path, load_policy
from ticketbuddy.schemas import Ticket

RAW = yaml.safe_load(default_policy_path().read_text())


def write_policy(tmp_path, raw):
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def broken(mutate):
    raw = copy.deepcopy(RAW)
    mutate(raw)
    return raw


def make(text, customer=None, extra_turns=()):
    messages = [*extra_turns, {"role": "customer", "text": text}]
    return Ticket.model_validate(
        {
            "ticket_id": "t",
            "channel": "chat",
            "created_at": "2026-11-01T09:00:00Z",
            "customer": customer or {"tier": "standard"},
            "messages": messages,
        }
    )


def test_shipped_policy_is_valid_and_has_default_routes():
    policy = load_policy()
    assert set(policy.routes) >= DEFAULT_ROUTES
    assert "{sla_minutes}" not in policy.routes["senior_cx"].reply()
    assert "30 minutes" in policy.routes["senior_cx"].reply()


@pytest.mark.parametrize(
    ("mutate", "named"),
    [
        (
            lambda r: r["routes"]["billing_disputes"].update(team="finance_ops"),
            "routes.billing_disputes.team",
        ),
        (lambda r: r["triggers"]["refund"].update(route="refunds_desk"), "triggers.refund.route"),
        (lambda r: r.update(fallback_route="nowhere"), "fallback_route"),
        (
            lambda r: r["routes"]["senior_cx"].update(escalation_chain=["ghosts"]),
            "routes.senior_cx.escalation_chain",
        ),
        (
            lambda r: r["route_rules"][0].update(route="legal"),
            "route_rules.legal-or-regulatory-to-compliance",
        ),
        (lambda r: r["priority_rules"][0]["when"].update(triggers_any=["lawyers"]), "'lawyers'"),
    ],
)
def test_policy_without_owner_is_refused_naming_the_entry(tmp_path, mutate, named):
    path = write_policy(tmp_path, broken(mutate))
    with pytest.raises(PolicyError, match="refused") as info:
        load_policy(path)
    assert named in str(info.value)
    result = CliRunner().invoke(app, ["policy", "check", str(path)])
    assert result.exit_code == 1 and named in result.output


def test_policy_check_accepts_shipped_policy():
    result = CliRunner().invoke(app, ["policy", "check"])
    assert result.exit_code == 0 and "policy ok" in result.output


def test_unreadable_policy_is_a_policy_error(tmp_path):
    bad = tmp_path / "p.yaml"
    bad.write_text("routes: [unclosed")
    with pytest.raises(PolicyError, match="not valid YAML"):
        load_policy(bad)
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy(tmp_path / "missing.yaml")


def test_a_policy_with_a_block_given_twice_is_refused_naming_both_lines(tmp_path):
    """A second ``escalation_rules:`` would silently replace the first; it is refused instead."""
    shipped = default_policy_path().read_text(encoding="utf-8")
    assert load_policy().escalation_rules, "the shipped policy has escalation rules to lose"
    lines = shipped.count("\n")
    doubled = tmp_path / "policy.yaml"
    doubled.write_text(shipped + "escalation_rules: []\n", encoding="utf-8")
    first = 1 + shipped.splitlines().index("escalation_rules:")
    with pytest.raises(
        PolicyError, match=f"key 'escalation_rules' on line {lines + 1} repeats the one on line {first}"
    ):
        load_policy(doubled)


@pytest.fixture(scope="module")
def engine():
    return PolicyEngine(load_policy())


def test_model_below_threshold_keeps_ticket(engine):
    d = engine.decide(engine.facts(make("What time do you open on Sunday?"), 0.05, 0.4))
    assert not d.escalate and d.priority is None and d.route is None
    assert d.reasons[0].code == "model.below_threshold"


def test_always_trigger_escalates_whatever_the_model_says(engine):
    d = engine.decide(engine.facts(make("I am taking legal action over this"), 0.01, 0.4))
    assert d.escalate and d.route == "legal_compliance" and d.priority == "P1"
    assert any(r.code == "trigger.legal" and "always" in r.detail for r in d.reasons)


def test_every_shipped_family_escalates_but_a_signal_family_alone_does_not(engine, tmp_path):
    owed = make("You charged me twice and I want my money back")
    assert all(f.escalate == "always" for f in load_policy().triggers.values())
    assert engine.decide(engine.facts(owed, 0.1, 0.4)).escalate
    raw = yaml.safe_load(default_policy_path().read_text())
    raw["triggers"]["refund"]["escalate"] = "signal"
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(raw))
    signal = PolicyEngine(load_policy(path))
    d = signal.decide(signal.facts(owed, 0.1, 0.4))
    assert not d.escalate
    assert any(r.code == "trigger.refund" for r in d.reasons)
    assert signal.decide(signal.facts(owed, 0.5, 0.4)).escalate


def test_vip_routes_to_senior_with_p1(engine):
    vip = {"tier": "gold", "lifetime_value": 9000}
    d = engine.decide(engine.facts(make("My parcel is late", customer=vip), 0.7, 0.4))
    assert (d.escalate, d.priority, d.route) == (True, "P1", "senior_cx")
    assert any(r.code == "customer.vip" for r in d.reasons)


def test_regulatory_beats_vip_for_routing(engine):
    vip = {"tier": "vip"}
    d = engine.decide(engine.facts(make("I'll complain to the ombudsman", customer=vip), 0.9, 0.4))
    assert d.route == "legal_compliance"


def test_rules_only_escalates_in_doubt_to_fallback(engine):
    d = engine.decide(engine.facts(make("This is absolutely awful and useless, I hate it"), None, None))
    assert d.escalate and d.rules_only and d.route == "general_escalations"
    assert d.reasons[0].code == "rules_only"
    calm = engine.decide(engine.facts(make("Thanks, what time do you open?"), None, None))
    assert not calm.escalate and calm.rules_only


POLITE_COMPLAINTS = [
    "My order for the team offsite was meant to be here on Monday and there is still no sign of it.",
    "I was promised a call back yesterday afternoon and nobody rang.",
    "The replacement you sent is the same size as the one I returned.",
]


@pytest.mark.parametrize("text", POLITE_COMPLAINTS)
@pytest.mark.parametrize("customer", [{"tier": "vip"}, {"tier": "standard", "lifetime_value": 9000}])
def test_rules_only_sends_a_vip_complaint_to_the_vip_route(engine, text, customer):
    d = engine.decide(engine.facts(make(text, customer=customer), None, None))
    assert d.escalate and d.rules_only
    assert (d.priority, d.route) == ("P1", "senior_cx")
    assert "rules_only.vip" in [r.code for r in d.reasons]


@pytest.mark.parametrize("text", POLITE_COMPLAINTS)
def test_rules_only_vip_rule_is_for_vips_and_can_be_switched_off(engine, tmp_path, text):
    assert not engine.decide(engine.facts(make(text, customer={"tier": "gold"}), None, None)).escalate
    raw = copy.deepcopy(RAW)
    raw["rules_only"]["escalate_vip"] = False
    strict = PolicyEngine(load_policy(write_policy(tmp_path, raw)))
    assert not strict.decide(strict.facts(make(text, customer={"tier": "vip"}), None, None)).escalate


def test_with_a_model_a_vip_is_not_escalated_by_the_rules_only_vip_rule(engine):
    d = engine.decide(engine.facts(make(POLITE_COMPLAINTS[0], customer={"tier": "vip"}), 0.01, 0.4))
    assert not d.escalate and "rules_only.vip" not in [r.code for r in d.reasons]


def test_low_confidence_band_escalates_near_threshold(tmp_path):
    raw = copy.deepcopy(RAW)
    raw["low_confidence_band"] = 0.1
    banded = PolicyEngine(load_policy(write_policy(tmp_path, raw)))
    d = banded.decide(banded.facts(make("hmm"), 0.35, 0.4))
    assert d.escalate and d.reasons[0].code == "model.low_confidence"
    assert not banded.decide(banded.facts(make("hmm"), 0.2, 0.4)).escalate


def test_learned_route_and_priority_used_below_the_hard_rules(engine):
    learned = Learned(route="billing_disputes", route_confidence=0.8, priority="P2", priority_confidence=0.9)
    d = engine.decide(engine.facts(make("The charge on my card is wrong"), 0.9, 0.4, learned))
    assert (d.route, d.priority) == ("billing_disputes", "P2")
    assert any(r.code == "route.learned-route" and "confidence 0.80" in r.detail for r in d.reasons)
    hard = engine.decide(engine.facts(make("I'll report you to the ombudsman"), 0.9, 0.4, learned))
    assert hard.route == "legal_compliance"  # regulatory always goes to compliance, whatever was learned


def test_unconfident_learned_route_falls_through_to_keyword_rules(engine):
    learned = Learned(route="technical_support", route_confidence=0.3)
    d = engine.decide(engine.facts(make("I want a refund for this"), 0.9, 0.4, learned))
    assert d.route == "billing_disputes"
    assert any(r.code == "route.money-to-billing" for r in d.reasons)


def test_the_model_reason_names_its_largest_contributions(tmp_path, engine):
    learned = Learned(contributions={"text": 0.85, "customer": 0.05, "words": 1.2, "triggers": 0.4})
    d = engine.decide(engine.facts(make("Where is my order?"), 0.731, 0.09, learned))
    expected = (
        "probability 0.731 >= threshold 0.090; largest contributions: words +1.20, text +0.85, triggers +0.40"
    )
    assert (d.reasons[0].code, d.reasons[0].detail) == ("model.probability", expected)
    kept = engine.decide(
        engine.facts(make("Where is my order?"), 0.02, 0.09, Learned(contributions={"words": -2.5}))
    )
    assert kept.reasons[0].detail == "probability 0.020 < threshold 0.090; largest contributions: words -2.50"
    raw = copy.deepcopy(RAW)
    raw["low_confidence_band"] = 0.1
    banded = PolicyEngine(load_policy(write_policy(tmp_path, raw)))
    near = banded.decide(banded.facts(make("hmm"), 0.35, 0.4, Learned(contributions={"shape": 0.3})))
    assert near.reasons[0].code == "model.low_confidence" and near.reasons[0].detail.endswith("shape +0.30")
    plain = engine.decide(engine.facts(make("Where is my order?"), 0.731, 0.09))
    assert plain.reasons[0].detail == "probability 0.731 >= threshold 0.090"  # no contributions, no list


def test_policy_refuses_a_model_route_without_owner():
    with pytest.raises(PolicyError, match="no owning team in the policy: returns_desk"):
        load_policy().check_model_routes(["senior_cx", "returns_desk"])
    load_policy().check_model_routes(["senior_cx", "billing_disputes"])


def test_rule_needs_exactly_one_source(tmp_path):
    raw = broken(
        lambda r: r["route_rules"].append({"name": "both", "route": "senior_cx", "from_model": True})
    )
    with pytest.raises(PolicyError, match="exactly one of route / from_model"):
        load_policy(write_policy(tmp_path, raw))


def test_formal_complaint_goes_to_senior_cx_as_p3(engine):
    d = engine.decide(engine.facts(make("I want to make a formal complaint about this"), 0.5, 0.4))
    assert (d.escalate, d.route, d.priority) == (True, "senior_cx", "P3")
    assert any(r.code == "trigger.complaint" for r in d.reasons)


def test_privacy_request_always_goes_to_compliance(engine):
    d = engine.decide(engine.facts(make("Please delete my data from your systems"), 0.05, 0.4))
    assert d.escalate and d.route == "legal_compliance"
    assert any(r.code == "trigger.regulatory" for r in d.reasons)
