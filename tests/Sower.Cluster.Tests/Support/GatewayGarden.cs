// The cluster tests' gardens are the shared ones (tests/Sower.Testing/Gateway): FleetGarden deploys; the garden that only
// joins and rejoins (formerly GatewayGarden here) is a FleetGarden enrolled without a seed name. The alias keeps the old name.
global using Sower.Testing.Gateway;
global using GatewayGarden = Sower.Testing.Gateway.FleetGarden;
// ManagedProcess, Native and Wait (formerly linked from the end-to-end tests): tests/Sower.Testing/Processes.
global using Sower.Testing.Processes;
