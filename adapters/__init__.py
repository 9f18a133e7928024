"""Trainer adapters: the OpenRLHF plugin and recipe driver, dataset converters, verl and TRL reward functions."""
