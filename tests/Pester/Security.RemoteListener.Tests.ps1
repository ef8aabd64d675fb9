# An attack by an unprivileged local user on root's Copy-SpliceItem -FromSession: the copying host
# listens for the far host's data connection on the address its session uses here, and every user
# can see that port appear in /proc/net/tcp and connect to it. The attacker opens eight
# connections to each new listener that send nothing (the secret is never guessed; the aim is to
# stall). Connections that present no secret are dropped after 3 s; heard one at a time, eight of
# them held the right peer off for 24 s, past the 15 s the copy waits (on 15919fa two copies of
# three failed with Timeout). Each copy must succeed and leave no port open, and the attacker's
# connections must have been made and closed by the listener. The twin: the same copies alone.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'Support/Attack.ps1')
    $script:Transports = @('Plain', 'Encrypted') | ForEach-Object { @{ Transport = $_ } }
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Support/FreshPwsh.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'Support/RemoteHosts.psm1') -Force
    . (Join-Path $PSScriptRoot 'Support/Attack.ps1')
    $script:SkipReason = Get-AttackSkipReason
    if (-not $SkipReason) { $script:SkipReason = Get-RemoteHostSkipReason }
    $script:Remote = $null
    if ($SkipReason) { return }
    $script:Suite = Enter-AttackSuite
    $script:Attacker = $Suite.Attacker
    $script:Remote = Start-RemoteHost -Label lis
    $script:Far = Join-Path $Remote.Root 'far.bin'
    [IO.File]::WriteAllBytes($Far, [byte[]]::new(1MB))

    # Three copies of the far file, each timed; returns their error ids and the listeners left here.
    function Invoke-Copies([string] $Transport, [string] $Into) {
        $run = New-RemoteSessionRun $Remote @"
`$ids = foreach (`$n in 1..3) {
    Copy-SpliceItem -FromSession `$session -Path '$Far' -Destination "$Into/copy`$n.bin" -Transport $Transport -ErrorVariable failed -ErrorAction SilentlyContinue
    `$failed | ForEach-Object { `$_.FullyQualifiedErrorId -replace ',.*' }
}
[pscustomobject]@{ Ids = @(`$ids); Listening = @(ss -Hltn | Where-Object { `$_ -match [regex]::Escape('$($Remote.LocalAddress):') }).Count }
"@
        Invoke-FreshPwsh -Json -TimeoutSeconds 240 @run
    }
}

AfterAll {
    Stop-RemoteHost $Remote
    if ($Suite) { Exit-AttackSuite $Suite }
}

Describe 'A local user who opens silent connections to the data listener of a -FromSession copy' {
    BeforeEach {
        $script:Racer = $null
        if ($SkipReason) { return }
        $script:Into = New-OwnedDirectory (Join-Path $TestDrive "into-$([guid]::NewGuid().ToString('N'))")
    }
    AfterEach { Stop-Racer $Racer }

    It 'delays no copy into failure: all three succeed and no port stays open (<Transport>)' -ForEach $Transports {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $work = New-OwnedDirectory (Join-Path $TestDrive "flood-$([guid]::NewGuid().ToString('N'))") $Attacker
        $script:Racer = Start-Racer $Suite listener_flood.py $Attacker $work -Seconds 120 -Arguments @('--address', $Remote.LocalAddress, '--count', '8')

        $result = Invoke-Copies $Transport $Into
        Stop-Racer $Racer
        $race = Get-RacerResult $Racer

        $race.Summary.connections | Should -BeGreaterThan 0 -Because "the attacker must have reached a listener for the test to mean anything ($($race.Stderr))"
        $result.Ids | Should -BeNullOrEmpty -Because 'silent connections must not hold the far host''s own off'
        foreach ($n in 1..3) { Get-Item -LiteralPath (Join-Path $Into "copy$n.bin") | ForEach-Object Length | Should -Be 1MB }
        $result.Listening | Should -Be 0 -Because 'the port closes once the right peer is in'
        $race.Summary.closed | Should -Be $race.Summary.connections -Because 'the listener drops every connection that presents no secret'
    }

    It 'twin: without the attacker the same copies succeed (<Transport>)' -ForEach $Transports {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $result = Invoke-Copies $Transport $Into
        $result.Ids | Should -BeNullOrEmpty
        foreach ($n in 1..3) { Get-Item -LiteralPath (Join-Path $Into "copy$n.bin") | ForEach-Object Length | Should -Be 1MB }
    }
}
