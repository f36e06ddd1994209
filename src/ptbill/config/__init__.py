"""Payer profiles and clinic configuration."""

from ptbill.config.profiles import Clinic, Config, PayerProfile, load_config

__all__ = ["Clinic", "Config", "PayerProfile", "load_config"]
