# Runspaces of this process with the built module, for tests that must stop or bound a command:
# New-ModuleShell is the one way the tests get one (Invoke-Bounded, Invoke-Stoppable and
# Pipelines.Helpers.ps1's Start-Peer run on it). The module comes with the runspace (an
# InitialSessionState), never as a first statement: stopping a batch of statements that is still
# running crashes PowerShell.

function New-ModuleShell {
    $state = [initialsessionstate]::CreateDefault2()
    $state.ImportPSModule($env:SPLICEMODULE_TEST_MODULE)
    [powershell]::Create($state)
}

# Runs $Script with the module and stops it after $TimeoutSec, so that a copy waiting on a FIFO
# can never hang the suite. Returns its output, its error records and its progress records.
function Invoke-Bounded([scriptblock] $Script, [object[]] $ArgumentList = @(), [int] $TimeoutSec = 30) {
    $ps = New-ModuleShell
    try {
        $null = $ps.AddScript($Script.ToString())
        foreach ($argument in $ArgumentList) { $null = $ps.AddArgument($argument) }
        $async = $ps.BeginInvoke()
        if (-not $async.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds($TimeoutSec))) {
            $ps.Stop()
            throw "The script did not finish within $TimeoutSec seconds."
        }
        [pscustomobject]@{ Output = @($ps.EndInvoke($async)); Errors = @($ps.Streams.Error); Progress = @($ps.Streams.Progress) }
    }
    finally { $ps.Dispose() }
}

# Runs a command with -WhatIf where its "What if:" lines go nowhere (a runspace without a host)
# rather than into the suite's output; returns what Invoke-Bounded returns.
function Invoke-WhatIf([scriptblock] $Script, [object[]] $ArgumentList = @()) {
    $run = Invoke-Bounded $Script $ArgumentList
    $run.Errors | Should -BeNullOrEmpty
    $run
}

# Runs $Script in a runspace with the module for at most -RunSeconds (or exactly
# -StopAfterSeconds, or until -StopWhen returns true, polled every 5 ms; then Ctrl+C). Unlike Invoke-Bounded it never hangs itself: Stop() is waited
# for at most -StopBoundSeconds, and when it does not return (a thread stuck in a system call that
# Ctrl+C cannot interrupt) -Release runs (e.g. Open-FifoBriefly of Attack.ps1) and the stop is
# waited for again. Returns Finished (ended by itself), StopSeconds (how long Stop took, or $null),
# Stuck (Stop never returned), State, Output, Errors, Warnings and Verbose.
function Invoke-Stoppable {
    param(
        [Parameter(Mandatory)] [scriptblock] $Script,
        [object[]] $ArgumentList = @(),
        [double] $RunSeconds = 30,
        [double] $StopAfterSeconds = 0,
        [double] $StopBoundSeconds = 5,
        [scriptblock] $StopWhen,
        [scriptblock] $Release
    )
    $ps = New-ModuleShell
    $output = [Management.Automation.PSDataCollection[psobject]]::new()
    $null = $ps.AddScript($Script.ToString())
    foreach ($argument in $ArgumentList) { $null = $ps.AddArgument($argument) }
    $stuck = $false
    $stopSeconds = $null
    try {
        $async = $ps.BeginInvoke([Management.Automation.PSDataCollection[psobject]]::new(), $output)
        $wait = if ($StopAfterSeconds -gt 0) { $StopAfterSeconds } else { $RunSeconds }
        if ($StopWhen) {
            $waited = [Diagnostics.Stopwatch]::StartNew()
            while (-not ($finished = $async.AsyncWaitHandle.WaitOne(5)) -and $waited.Elapsed.TotalSeconds -lt $wait -and -not (& $StopWhen)) { }
        }
        else {
            $finished = $async.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds($wait))
        }
        if (-not $finished) {
            $clock = [Diagnostics.Stopwatch]::StartNew()
            $stop = $ps.BeginStop($null, $null)
            if ($stop.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds($StopBoundSeconds))) {
                $stopSeconds = $clock.Elapsed.TotalSeconds
            }
            else {
                $stuck = $true
                $stopSeconds = $clock.Elapsed.TotalSeconds
                for ($try = 0; $try -lt 20 -and -not $stop.AsyncWaitHandle.WaitOne(500); $try++) {
                    if ($Release) { & $Release }
                }
            }
        }
        [pscustomobject]@{
            Finished = $finished
            StopSeconds = $stopSeconds
            Stuck = $stuck
            State = $ps.InvocationStateInfo.State
            Reason = $ps.InvocationStateInfo.Reason
            Output = @($output)
            Errors = @($ps.Streams.Error)
            Warnings = @($ps.Streams.Warning)
            Verbose = @($ps.Streams.Verbose)
        }
    }
    finally {
        # A runspace still stuck after the releases is left alone: disposing it would wait forever.
        if ($ps.InvocationStateInfo.State -ne 'Running' -and $ps.InvocationStateInfo.State -ne 'Stopping') { $ps.Dispose() }
    }
}
