"""`WritePolicy`: WRITE_USERS and WRITE_CHANNELS say who may approve writes, and where."""

from __future__ import annotations

from bot.approvals.policy import WritePolicy


def test_with_no_lists_everyone_may_approve_everywhere() -> None:
    assert WritePolicy().refusal("U1", "C1") is None
    assert WritePolicy.of([], []).refusal("U1", "C1") is None


def test_a_user_list_refuses_everyone_else_and_names_the_setting() -> None:
    policy = WritePolicy.of(users=["U1", "U2"])

    assert policy.refusal("U2", "C1") is None
    refusal = policy.refusal("U3", "C1")
    assert refusal is not None and "WRITE_USERS" in refusal


def test_a_channel_list_refuses_other_channels_even_for_listed_users() -> None:
    policy = WritePolicy.of(users=["U1"], channels=["C1"])

    assert policy.refusal("U1", "C1") is None
    refusal = policy.refusal("U1", "C2")
    assert refusal is not None and "WRITE_CHANNELS" in refusal
    user_refusal = policy.refusal("U2", "C2")
    assert user_refusal is not None and "WRITE_USERS" in user_refusal, "the user is named first"
