// The engine's types were renamed ("One shape for the engine"): CopyJob read as a PowerShell job,
// and TeeOutcome was one of three different 'Outcome's. Commands/ is being changed on another
// branch, so InvokeTeeCommand.cs still says the old names; these aliases keep it compiling until
// it says ByteTransfer.ToEnd and TeeDestinationResult. Delete this file then.
global using CopyJob = SpliceModule.Transfer.ByteTransfer;
global using TeeOutcome = SpliceModule.Transfer.TeeDestinationResult;
