# Ctrl+C during a remote copy, for the directions, kinds and transports the other remote test
# files do not stop (they stop files sent by Plain, trees sent by Plain and Encrypted, and a tree
# fetched by Plain): the copy runs in a runspace of a fresh pwsh, slowed by a token bucket on
# both ends of the link, and is stopped once its progress shows bytes. Then the pipeline is
# Stopped at once, the far end has let go too (its data connection is closed, or its session
# answers the next command), nothing half-written is left on either side, no port listens, and
# the copying process holds no more sockets or files of the copy than before it. With
# SPLICEMODULE_STOP_FIGURES naming a file, each case appends its timings there (to measure them).
BeforeDiscovery {
    $script:Cases = @(
        @{ Direction = 'FromSession'; Kind = 'file'; Transport = 'Plain' }
        @{ Direction = 'FromSession'; Kind = 'file'; Transport = 'Encrypted' }
        @{ Direction = 'FromSession'; Kind = 'file'; Transport = 'Session' }
        @{ Direction = 'FromSession'; Kind = 'tree'; Transport = 'Encrypted' }
        @{ Direction = 'FromSession'; Kind = 'tree'; Transport = 'Session' }
        @{ Direction = 'ToSession'; Kind = 'file'; Transport = 'Encrypted' }
        @{ Direction = 'ToSession'; Kind = 'file'; Transport = 'Session' }
        @{ Direction = 'ToSession'; Kind = 'tree'; Transport = 'Session' }
    )
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Support/FreshPwsh.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'Support/RemoteHosts.psm1') -Force
    $script:SkipReason = Get-RemoteHostSkipReason
    $script:Remote = $null
    if (-not $SkipReason) { $script:Remote = Start-RemoteHost -Label stop }

    # 24 MiB at 16 Mbit/s: about 12 s, far longer than it takes to see it start and stop it, and
    # slow enough that a sender writing ahead of its receiver (Session before its flow control)
    # leaves seconds of data queued in the SSH channel for the stop to wait behind.
    function New-StopSource([string] $Root, [string] $Kind) {
        if ($Kind -eq 'file') {
            $path = "$Root.bin"
            [IO.File]::WriteAllBytes($path, [byte[]]::new(24MB))
            return $path
        }
        New-Item -ItemType Directory -Path "$Root/d" | Out-Null
        foreach ($i in 1..6) { [IO.File]::WriteAllBytes("$Root/d/part$i.bin", [byte[]]::new(4MB)) }
        $Root
    }

    function Get-ExtraListener { @(ip netns exec $Remote.Namespace ss -Hltn | Where-Object { $_ -and $_ -notmatch ':22\s' }) }

    function Get-Value($Output, [string] $Name) { @($Output | Select-String "^$Name=(.*)$" | ForEach-Object { $_.Matches[0].Groups[1].Value })[0] }
}

AfterAll {
    Stop-RemoteHost $Remote
}

Describe 'Ctrl+C during a remote copy' {
    BeforeEach { Reset-RemoteHost $Remote -Rate 16mbit }
    AfterEach { Reset-RemoteHost $Remote -LinksOnly }

    It 'stops a <Kind> copy -<Direction> -Transport <Transport> on both ends, leaving nothing behind' -TestCases $Cases {
        param($Direction, $Kind, $Transport)
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $fetch = $Direction -eq 'FromSession'
        $sourceRoot = if ($fetch) { $Remote.Root } else { $TestDrive }
        $source = New-StopSource (Join-Path $sourceRoot "stopped-$Transport") $Kind
        $into = if ($fetch) { Join-Path $TestDrive "into-$Transport-$Kind" } else { $Remote.Root }
        New-Item -ItemType Directory -Path $into -Force | Out-Null
        $pathParameter = if ($fetch) { 'Path' } else { 'LiteralPath' }
        $run = New-RemoteSessionRun $Remote @"
`$shell = [powershell]::Create()
`$null = `$shell.AddScript('Import-Module `$env:SPLICEMODULE_TEST_MODULE').Invoke()
`$shell.Commands.Clear()
# What the copy opens here: sockets, and files of its source or destination (pipes and the
# runtime's own files are left out: listing descriptors holds pipes until collected).
function Get-CopyDescriptor { @(Get-ChildItem /proc/`$PID/fd | ForEach-Object { "`$(`$_.Name)>`$(`$_.LinkTarget)" } | Where-Object { `$_ -match '>socket:' -or `$_ -like '*>$source*' -or `$_ -like '*>$into*' }) }
`$before = Get-CopyDescriptor
`$parameters = @{ $pathParameter = '$source'; Destination = '$into'; $Direction = `$session; Transport = '$Transport'; Recurse = `$$($Kind -eq 'tree') }
`$null = `$shell.AddCommand('Copy-SpliceItem').AddParameters(`$parameters)
`$running = `$shell.BeginInvoke()
foreach (`$try in 1..600) {
    if (@(`$shell.Streams.Progress | Where-Object PercentComplete -GT 0).Count -gt 0 -or `$running.IsCompleted) { break }
    Start-Sleep -Milliseconds 50
}
"STARTED=`$(-not `$running.IsCompleted)"
`$watch = [Diagnostics.Stopwatch]::StartNew()
`$shell.Stop()
"STOPPEDMS=`$(`$watch.ElapsedMilliseconds)"
"STATE=`$(`$shell.InvocationStateInfo.State)"
# The far end has let go: its data connection is closed (direct transports), and its session
# takes the next command (it runs one at a time, so it would wait behind a far half still running).
foreach (`$try in 1..300) {
    if (@(ss -Htn state established | Where-Object { `$_ -match [regex]::Escape('$($Remote.Address):') -and `$_ -notmatch ':22(\s|$)' }).Count -eq 0) { break }
    Start-Sleep -Milliseconds 20
}
"CLOSEDMS=`$(`$watch.ElapsedMilliseconds)"
"ANSWER=`$(Invoke-Command -Session `$session { 'answered' })"
"ANSWEREDMS=`$(`$watch.ElapsedMilliseconds)"
"LISTENING=`$(@(ss -Hltn | Where-Object { `$_ -match [regex]::Escape('$($Remote.LocalAddress):') }).Count)"
`$shell.Dispose()
[GC]::Collect(); [GC]::WaitForPendingFinalizers()
`$after = Get-CopyDescriptor
"NEWFDS=`$(@(Compare-Object `$before `$after | Where-Object SideIndicator -EQ '=>' | ForEach-Object InputObject) -join ' ')"
"@
        $ran = Invoke-FreshPwsh -TimeoutSeconds 120 @run
        $output = @($ran.Lines)
        $ran.ExitCode | Should -Be 0 -Because "$($ran.Output) $($ran.Error)"
        Get-Value $output STARTED | Should -Be 'True' -Because 'the copy was stopped while it ran'
        Get-Value $output STATE | Should -Be 'Stopped'
        if ($env:SPLICEMODULE_STOP_FIGURES) {
            $figures = @('STOPPEDMS', 'CLOSEDMS', 'ANSWEREDMS') | ForEach-Object { "$_=$(Get-Value $output $_)" }
            Add-Content -LiteralPath $env:SPLICEMODULE_STOP_FIGURES -Value "$Direction $Kind $Transport $figures"
        }
        [int](Get-Value $output STOPPEDMS) | Should -BeLessThan 5000 -Because 'the stop does not wait for the far end or the link'
        [int](Get-Value $output CLOSEDMS) | Should -BeLessThan 5000 -Because 'the data connection closes with the stop'
        Get-Value $output ANSWER | Should -Be 'answered' -Because 'the far half of the copy ended with it'
        [int](Get-Value $output ANSWEREDMS) | Should -BeLessThan 5000 -Because 'the far half let go with the stop, not once the link had carried what was queued'
        Get-Value $output LISTENING | Should -Be '0' -Because 'no port is left listening here'
        Get-Value $output NEWFDS | Should -BeNullOrEmpty -Because 'the copy let go of every socket and file it opened'
        Get-ExtraListener | Should -BeNullOrEmpty -Because 'no port is left listening on the far host'
        $written = @(Get-ChildItem -LiteralPath $into -Recurse -File -Force)
        $written.Count | Should -BeLessThan $(if ($Kind -eq 'file') { 1 } else { 6 }) -Because 'the copy was stopped before its end'
        foreach ($file in $written) {
            $file.Name | Should -Not -BeLike '*.splicetmp'
            $file.Length | Should -Be 4MB -Because 'a file is there whole or not at all'
        }
    }
}
