"""Coach's scenarios: referral options and why-not reasons (referral_options.feature)."""

from pytest_bdd import scenarios

scenarios("referral_options.feature")
