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
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }, signals.Token);
