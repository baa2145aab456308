// ManagedProcess, Native and Wait are shared with the cluster tests: tests/Sower.Testing/Processes.
global using Sower.Testing.Processes;
