# Attacks that try to hang root's session rather than to write anything:
# - the source name flips between a regular file and a FIFO that nobody writes, so that a FIFO is
#   met where a regular file was seen a moment ago: opening it blocks in open(2), which Ctrl+C
#   cannot interrupt, unless it is opened O_NONBLOCK whatever was expected;
# - a FIFO without a writer (or reader) given to Open-SpliceDescriptor: never a blocking open;
# - an exponential tree of symbolic links (17 levels, each with two links to the next) copied with
#   -FollowSymlink: 2^17 paths without a loop; Ctrl+C must end it at once, and memory must not
#   balloon meanwhile.
# Ctrl+C (Stop() of the runspace) must return within a second or two: asserted as < 5 s.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'Support/Attack.ps1')
    $script:Openers = @(
        @{ Command = 'Copy-SpliceItem'; Script = { param($src, $dst) for ($i = 0; $i -lt 5000; $i++) { Copy-SpliceItem -LiteralPath $src -Destination $dst -ErrorAction SilentlyContinue; $i } } }
        @{ Command = 'Invoke-Tee'; Script = { param($src, $dst) for ($i = 0; $i -lt 5000; $i++) { Invoke-Tee -LiteralPath $src -Destination $dst -ErrorAction SilentlyContinue; $i } } }
        @{ Command = 'Open-SpliceDescriptor'; Script = { param($src, $dst) for ($i = 0; $i -lt 5000; $i++) { Open-SpliceDescriptor -LiteralPath $src -ErrorAction SilentlyContinue | Close-SpliceDescriptor; $i } } }
    )
}

BeforeAll {
    Import-Module $env:SPLICEMODULE_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'Support/FreshPwsh.psm1') -Force
    . (Join-Path $PSScriptRoot 'Support/Attack.ps1')
    . (Join-Path $PSScriptRoot 'Support/ModuleRunspace.ps1')
    $script:SkipReason = Get-AttackSkipReason
    if ($SkipReason) { return }
    $script:Suite = Enter-AttackSuite
    $script:Attacker = $Suite.Attacker
    $script:Scratch = New-Scratch 'hangs-scratch'
    $script:Work = $Scratch.Path
}

AfterAll {
    Remove-Scratch $Scratch
    if ($Suite) { Exit-AttackSuite $Suite }
}

Describe 'A source that becomes a FIFO between the look and the open' {
    BeforeEach {
        $script:Racer = $null
        if ($SkipReason) { return }
        $script:Case = New-OwnedDirectory (Join-Path $Work "swap-$([guid]::NewGuid().ToString('N'))")
        $script:A = New-OwnedDirectory (Join-Path $Case 'attacker') $Attacker
        $script:Out = New-OwnedDirectory (Join-Path $Case 'out')
    }
    AfterEach {
        Stop-Racer $Racer
        if ($Case) { Open-FifoBriefly (Join-Path $A 'fifo'); Remove-Tree $Case }
    }

    It '<Command> in a loop never blocks in open(2): every Ctrl+C returns within seconds' -ForEach $Openers {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $script:Racer = Start-Racer $Suite fifo_swap.py $Attacker $A -Seconds 10 -Arguments @('--dir', $A, '--name', 'src')
        $fifo = Join-Path $A 'fifo'
        $rounds = [Collections.Generic.List[object]]::new()
        # The calls run in a loop that reports each one; when no call has ended for 100 ms, one is
        # waiting (for a FIFO's writer, as it may) and Ctrl+C ends the round; then a new round.
        $ps = New-ModuleShell
        $null = $ps.AddScript($Script.ToString()).AddArgument((Join-Path $A 'src')).AddArgument((Join-Path $Out 'dst'))
        $clock = [Diagnostics.Stopwatch]::StartNew()
        while ($clock.Elapsed.TotalSeconds -lt 3) {
            $output = [Management.Automation.PSDataCollection[psobject]]::new()
            $async = $ps.BeginInvoke([Management.Automation.PSDataCollection[psobject]]::new(), $output)
            $seen = -1
            $quiet = [Diagnostics.Stopwatch]::StartNew()
            while (-not $async.IsCompleted -and $quiet.ElapsedMilliseconds -lt 100 -and $clock.Elapsed.TotalSeconds -lt 3) {
                Start-Sleep -Milliseconds 10
                if ($output.Count -ne $seen) { $seen = $output.Count; $quiet.Restart() }
            }
            $round = [pscustomobject]@{ Calls = $output.Count; Finished = $async.IsCompleted; StopSeconds = $null; Stuck = $false }
            if (-not $async.IsCompleted) {
                $stopClock = [Diagnostics.Stopwatch]::StartNew()
                $stop = $ps.BeginStop($null, $null)
                $round.Stuck = -not $stop.AsyncWaitHandle.WaitOne(5000)
                $round.StopSeconds = $stopClock.Elapsed.TotalSeconds
                # Free a thread stuck in open(2) on the FIFO, so that the runspace can go.
                for ($try = 0; $try -lt 20 -and -not $stop.AsyncWaitHandle.WaitOne(500); $try++) { Open-FifoBriefly $fifo }
            }
            $rounds.Add($round)
            if ($round.Stuck) { break }
        }
        # A runspace still stuck after the releases is left alone: disposing it would wait forever.
        if ($ps.InvocationStateInfo.State -notin 'Running', 'Stopping') { $ps.Dispose() }
        Stop-Racer $Racer
        $race = Get-RacerResult $Racer

        $race.Summary.swaps | Should -BeGreaterThan 100 -Because "the race must really have run ($($race.Stderr))"
        $stuck = @($rounds | Where-Object Stuck)
        $stuck.Count | Should -Be 0 -Because "Ctrl+C did not return within 5 s in $($stuck.Count) of $($rounds.Count) rounds (a blocking open of the FIFO)"
        $slowest = ($rounds | Where-Object StopSeconds | Measure-Object StopSeconds -Maximum).Maximum
        if ($slowest) { $slowest | Should -BeLessThan 5 }
        Write-Host "    ($($rounds.Count) rounds, $(($rounds | Measure-Object Calls -Sum).Sum) calls, $(@($rounds | Where-Object { -not $_.Finished }).Count) stopped, slowest stop $([Math]::Round([double]$slowest, 2)) s)"
    }
}

Describe 'Open-SpliceDescriptor of a FIFO that nobody else has open' {
    BeforeEach {
        if ($SkipReason) { return }
        $script:Fifo = Join-Path $Work "lonely-$([guid]::NewGuid().ToString('N')).fifo"
        mkfifo -- $Fifo
    }
    AfterEach {
        if ($SkipReason) { return }
        Open-FifoBriefly $Fifo
        Remove-Item -LiteralPath $Fifo -Force -ErrorAction Ignore
    }

    It '-Access Read does not block in open' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $run = Invoke-Stoppable -RunSeconds 5 -ArgumentList $Fifo -Script {
            param($fifo)
            $descriptor = Open-SpliceDescriptor -LiteralPath $fifo -Access Read
            $descriptor | Close-SpliceDescriptor
            'opened'
        } -Release { Open-FifoBriefly $Fifo }
        $run.Finished | Should -BeTrue -Because 'opening a FIFO for reading never waits for a writer'
        $run.Errors | Should -BeNullOrEmpty
        $run.Output | Should -Be 'opened'
    }

    It '-Access Write waits for a reader, and Ctrl+C returns within seconds' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $run = Invoke-Stoppable -StopAfterSeconds 0.5 -ArgumentList $Fifo -Script {
            param($fifo)
            Open-SpliceDescriptor -LiteralPath $fifo -Access Write | Close-SpliceDescriptor
        } -Release { Open-FifoBriefly $Fifo }
        $run.Finished | Should -BeFalse -Because 'without a reader there is nothing to write to'
        $run.Stuck | Should -BeFalse
        $run.StopSeconds | Should -BeLessThan 5
        $run.State | Should -Be 'Stopped'
    }
}

Describe 'An exponential tree of symbolic links copied with -FollowSymlink' {
    It 'Ctrl+C after 1 s returns within seconds, and memory does not balloon' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $base = New-OwnedDirectory (Join-Path $Work "exponential-$([guid]::NewGuid().ToString('N'))")
        $levels = 17
        foreach ($level in 0..$levels) { New-OwnedDirectory (Join-Path $base "L$level") | Out-Null }
        foreach ($level in 0..($levels - 1)) {
            foreach ($name in 'a', 'b') { ln -s -- (Join-Path $base "L$($level + 1)") (Join-Path $base "L$level/$name") }
        }
        New-OwnedFile (Join-Path $base "L$levels/leaf.txt") "leaf`n" | Out-Null
        $dst = Join-Path $base 'copy'

        # In a pwsh of its own, so that its memory is its own and a thread that never stops dies with it.
        $script = @"
. '$(Join-Path $PSScriptRoot 'Support/ModuleRunspace.ps1')'
function Get-Kb([string] `$name) { [long]((Get-Content /proc/self/status | Where-Object { `$_ -like "`${name}:*" }) -replace '\D', '') }
`$ps = New-ModuleShell
`$null = `$ps.AddScript('1').Invoke(); `$ps.Commands.Clear()
[GC]::Collect()
`$before = Get-Kb VmRSS
`$null = `$ps.AddCommand('Copy-SpliceItem').AddParameter('LiteralPath', '$base/L0').AddParameter('Destination', '$dst').AddParameter('Recurse').AddParameter('FollowSymlink').AddParameter('ErrorAction', 'SilentlyContinue')
`$async = `$ps.BeginInvoke()
`$finished = `$async.AsyncWaitHandle.WaitOne(1000)
`$clock = [Diagnostics.Stopwatch]::StartNew()
`$stopped = `$true
if (-not `$finished) { `$stopped = `$ps.BeginStop(`$null, `$null).AsyncWaitHandle.WaitOne(6000) }
`$seconds = `$clock.Elapsed.TotalSeconds
`$result = @{ Finished = `$finished; Stopped = `$stopped; StopSeconds = `$seconds; GrowthMB = ((Get-Kb VmHWM) - `$before) / 1024 }
'RESULT ' + (ConvertTo-Json -InputObject `$result -Compress)
[Console]::Out.Flush()
[Environment]::Exit(0)
"@
        try {
            $fresh = Invoke-FreshPwsh -Script $script -TimeoutSeconds 60 -Environment @{ SPLICEMODULE_TEST_MODULE = $env:SPLICEMODULE_TEST_MODULE }
            $line = ($fresh.Output -split "`n" | Where-Object { $_ -like 'RESULT *' } | Select-Object -Last 1)
            $line | Should -Not -BeNullOrEmpty -Because "the fresh pwsh reports ($($fresh.Error))"
            $result = $line.Substring(7) | ConvertFrom-Json

            # It may also end by itself (with SymlinkLoop errors, say): then there was nothing to stop.
            $result.Stopped | Should -BeTrue -Because 'Ctrl+C must end the walk'
            $result.StopSeconds | Should -BeLessThan 5
            $result.GrowthMB | Should -BeLessThan 200 -Because 'the walk must not hold millions of entries'
        }
        finally { Remove-Tree $base }
    }
}
