"""OpenRLHF: the reward_func plugin, the command-line checker and the Cascade recipe driver."""
