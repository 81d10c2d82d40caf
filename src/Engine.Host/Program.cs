using System.CommandLine;
using Engine.Host.Cli;

// The engine's CLI: every verb is a small class in Cli/ that builds its own System.CommandLine command.
var root = new RootCommand(
    "Engine: a streaming real-time decision engine for e-commerce (recommendations, bids, churn alerts).\n" +
    "Also, through the ./engine script: 'train' and 'evaluate' (./engine train --help) and 'bench' (./engine bench --help).")
{
    RunCommand.Create(),
    DemoCommand.Create(),
    SimulateCommand.Create(),
    EmbeddedKafkaCommand.Create(),
    EraseCommand.Create(),
    ConsentCommand.Create(),
    VersionCommand.Create(),
    ReportCommand.Create(),
};
// Signals are ours (see ShutdownSignals): System.CommandLine's own handler is switched off.
using var signals = new ShutdownSignals();
var parsed = root.Parse(args);
// A mistyped option or a value of the wrong kind (--kafak, --partitions eight) is a setting to fix: exit 2, as a wrong
// configuration value is. System.CommandLine's own 1 read, to a supervisor, as a failed pipeline (before 2026-12-07, review).
if (parsed.Errors.Count > 0)
{
    foreach (var error in parsed.Errors) Console.Error.WriteLine(error.Message);
    Console.Error.WriteLine("See ./engine --help, and ./engine <verb> --help for a verb's options.");
    return Engine.Host.Configuration.ConfigurationError.ExitCode;
}
return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }, signals.Token);
