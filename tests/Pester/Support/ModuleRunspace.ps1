# Runspaces of this process with the built module, for tests that must stop or bound a command.
# The module comes with the runspace (an InitialSessionState), never as a first statement:
# stopping a batch of statements that is still running crashes PowerShell.

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
