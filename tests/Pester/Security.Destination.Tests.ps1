# Attack: the destination name, in a directory the attacker owns, is not what it was a moment
# ago. Root copies into it (Copy-SpliceItem, Invoke-Tee -Path, Write-VmSplice -Destination) while
# the attacker renames over the name, again and again, a symlink to /dev/null, to a FIFO of theirs
# and to a victim file of root's. Nothing may be written through a symlink: the victim, /dev/null
# and the FIFO never see a byte. A real FIFO standing at the name is written in place (that is what
# a FIFO is for), and without a reader the wait honours Ctrl+C.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'Support/Attack.ps1')
    $script:Writers = @(
        @{ Command = 'Copy-SpliceItem'; Script = { param($src, $dest) Copy-SpliceItem -LiteralPath $src -Destination $dest } }
        @{ Command = 'Invoke-Tee'; Script = { param($src, $dest) Invoke-Tee -LiteralPath $src -Destination $dest } }
        @{ Command = 'Write-VmSplice'; Script = { param($src, $dest) Write-VmSplice -InputObject 'x' -Destination $dest } }
    )
    $script:PlantedCases = foreach ($writer in $Writers) {
        foreach ($link in 'a FIFO with a reader', '/dev/null') { $writer + @{ Link = $link } }
    }
}

BeforeAll {
    Import-Module $env:SPLICEMODULE_TEST_MODULE -Force
    . (Join-Path $PSScriptRoot 'Support/Attack.ps1')
    . (Join-Path $PSScriptRoot 'Support/ModuleRunspace.ps1')
    $script:SkipReason = Get-AttackSkipReason
    if ($SkipReason) { return }
    $script:Suite = Enter-AttackSuite
    $script:Attacker = $Suite.Attacker

    # /dev/null as a fingerprint: type, mode, owner and device numbers.
    function Get-DevNull { stat -c '%F %a %u %g %t:%T' /dev/null }

    # What Write-VmSplice -InputObject 'x' writes, learnt from a plain new file.
    $script:VmSpliceSha = & {
        $plain = Join-Path $TestDrive 'vmsplice-plain.out'
        Write-VmSplice -InputObject 'x' -Destination $plain
        Get-Sha $plain
    }

    function Get-ExpectedSha([string] $Command, [string] $Source) {
        if ($Command -eq 'Write-VmSplice') { $VmSpliceSha } else { Get-Sha $Source }
    }

    # The attacker's own FIFO, made as the attacker.
    function New-AttackerFifo([string] $Path) {
        mkfifo -m 666 -- $Path
        chown "$($Attacker.Uid):$($Attacker.Gid)" -- $Path
        $Path
    }

    # A symlink planted by the attacker.
    function New-AttackerLink([string] $Path, [string] $Target) {
        ln -s -- $Target $Path
        chown -h "$($Attacker.Uid):$($Attacker.Gid)" -- $Path
        $Path
    }
}

AfterAll {
    if ($Suite) { Exit-AttackSuite $Suite }
}

Describe 'A destination in the attacker''s directory' {
    BeforeEach {
        if ($SkipReason) { return }
        $script:Case = Join-Path $TestDrive "dest-$([guid]::NewGuid().ToString('N'))"
        New-OwnedDirectory $Case | Out-Null
        # The attacker's directory, and root's victim outside it.
        $script:A = New-OwnedDirectory (Join-Path $Case 'attacker') $Attacker
        $script:V = New-OwnedDirectory (Join-Path $Case 'victims')
        $script:Victim = New-OwnedFile (Join-Path $V 'victim.txt') "VICTIM root's file, never to be written`n" -Mode '644'
        $script:S = New-OwnedDirectory (Join-Path $Case 'source')
        $bytes = [byte[]]::new(3000); [Random]::new(5).NextBytes($bytes)
        $script:Src = New-OwnedFile (Join-Path $S 'src.bin') $bytes -Mode '640'
        $script:Dest = Join-Path $A 'dest'
        $script:Fifo = Join-Path $A 'f.fifo'
        $script:Before = [pscustomobject]@{ Victims = Get-TreeSnapshot $V; Source = Get-TreeSnapshot $S; DevNull = Get-DevNull }
        $script:Racer = $null
    }
    AfterEach {
        if ($SkipReason) { return }
        Stop-Racer $Racer
    }

    It 'flipping the name between links to /dev/null, a FIFO and a victim: 256 copies, 16 tees and 16 vmsplices write through none of them' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $script:Racer = Start-Racer $Suite flip_dest.py $Attacker $A -Seconds 10 -Arguments @(
            '--dir', $A, '--name', 'dest', '--fifo', $Fifo, '--target', $Fifo, '--target', '/dev/null', '--target', $Fifo, '--target', $Victim)

        $run = Invoke-Stoppable -RunSeconds 20 -ArgumentList $Src, $Dest -Script {
            param($src, $dest)
            for ($i = 0; $i -lt 256; $i++) { Copy-SpliceItem -LiteralPath $src -Destination $dest }
            for ($i = 0; $i -lt 16; $i++) { Invoke-Tee -LiteralPath $src -Destination $dest }
            for ($i = 0; $i -lt 16; $i++) { Write-VmSplice -InputObject 'x' -Destination $dest }
        } -Release { Open-FifoBriefly $Fifo }
        Stop-Racer $Racer
        $race = Get-RacerResult $Racer

        $race.Summary.swaps | Should -BeGreaterThan 100 -Because "the race must really have run ($($race.Stderr))"
        $run.Finished | Should -BeTrue -Because 'no copy may hang on what the attacker put there'
        Get-TreeSnapshot $V | Should -Be $Before.Victims
        Get-DevNull | Should -Be $Before.DevNull
        Get-TreeSnapshot $S | Should -Be $Before.Source
        $race.Summary.fifo_bytes | Should -Be 0 -Because "$(@($race.Events).Count) writes reached the attacker's FIFO"
        # Whatever root left at the name is no wider than the source (0640) or a new file of Write-VmSplice (0644).
        if ((Get-Stat $Dest) -match '^regular file (\d+) 0 ') { Test-ModeWithin $Matches[1] '644' | Should -BeTrue }
    }

    It 'with -InPlace, swapping the name between files of the attacker and a link to a victim: 256 copies write into no other file' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $script:Racer = Start-Racer $Suite inplace_swap.py $Attacker $A -Seconds 10 -Arguments @('--dir', $A, '--name', 'dest', '--target', $Victim)

        $run = Invoke-Stoppable -RunSeconds 20 -ArgumentList $Src, $Dest -Script {
            param($src, $dest)
            for ($i = 0; $i -lt 256; $i++) { Copy-SpliceItem -LiteralPath $src -Destination $dest -InPlace -Force }
        }
        Stop-Racer $Racer
        $race = Get-RacerResult $Racer

        $race.Summary.swaps | Should -BeGreaterThan 100 -Because "the race must really have run ($($race.Stderr))"
        $run.Finished | Should -BeTrue
        Get-TreeSnapshot $V | Should -Be $Before.Victims
        Get-TreeSnapshot $S | Should -Be $Before.Source
        # The only ids a lost race may give: the name changed under the copy, or it was a link the copy replaced.
        @($run.Errors | ForEach-Object { ($_.FullyQualifiedErrorId -split ',')[0] } | Where-Object { $_ -notin 'DestinationChanged', 'SystemCallFailed', 'PathNotFound' }) | Should -BeNullOrEmpty
    }

    It 'twin: without the attacker the same 256 copies, 16 tees and 16 vmsplices all succeed' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        for ($i = 0; $i -lt 256; $i++) { Copy-SpliceItem -LiteralPath $Src -Destination $Dest -ErrorVariable +failure }
        Get-Sha $Dest | Should -Be (Get-Sha $Src)
        Get-Stat $Dest | Should -BeLike 'regular file 640 0 0 *'
        for ($i = 0; $i -lt 16; $i++) { Invoke-Tee -LiteralPath $Src -Destination $Dest -ErrorVariable +failure }
        Get-Sha $Dest | Should -Be (Get-Sha $Src)
        Get-Stat $Dest | Should -BeLike 'regular file 640 0 0 *'
        for ($i = 0; $i -lt 16; $i++) { Write-VmSplice -InputObject 'x' -Destination $Dest -ErrorVariable +failure }
        $failure | Should -BeNullOrEmpty
        Get-Sha $Dest | Should -Be $VmSpliceSha
        Get-Stat $Dest | Should -BeLike 'regular file * 0 0 *'
        @(Get-ChildItem -LiteralPath $A -Force -Filter '*.splicetmp').Count | Should -Be 0
    }

    It '<Command> replaces a planted symlink to <Link> with a regular file (the link is not written through)' -ForEach $PlantedCases {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        if ($Link -eq '/dev/null') { New-AttackerLink $Dest '/dev/null' | Out-Null }
        else {
            New-AttackerFifo $Fifo | Out-Null
            New-AttackerLink $Dest $Fifo | Out-Null
            $script:Racer = Start-Racer $Suite fifo_reader.py $Attacker $A -Seconds 10 -Arguments @('--fifo', $Fifo, '--mode', 'drain')
        }

        $run = Invoke-Stoppable -RunSeconds 10 -ArgumentList $Src, $Dest -Script $Script -Release { Open-FifoBriefly $Fifo }
        Stop-Racer $Racer

        $run.Finished | Should -BeTrue
        $run.Errors | Should -BeNullOrEmpty
        Get-Stat $Dest | Should -BeLike 'regular file * 0 0 *'
        Get-Sha $Dest | Should -Be (Get-ExpectedSha $Command $Src)
        Get-DevNull | Should -Be $Before.DevNull
        if ($Racer) {
            $race = Get-RacerResult $Racer
            $race.Summary.fifo_bytes | Should -Be 0 -Because "$(@($race.Events).Count) writes reached the attacker's FIFO"
        }
        @(Get-ChildItem -LiteralPath $A -Force -Filter '*.splicetmp').Count | Should -Be 0
    }
}

Describe 'A real FIFO planted at the destination' {
    BeforeEach {
        if ($SkipReason) { return }
        $script:Case = Join-Path $TestDrive "fifo-$([guid]::NewGuid().ToString('N'))"
        New-OwnedDirectory $Case | Out-Null
        $script:A = New-OwnedDirectory (Join-Path $Case 'attacker') $Attacker
        $script:S = New-OwnedDirectory (Join-Path $Case 'source')
        $bytes = [byte[]]::new(100000); [Random]::new(6).NextBytes($bytes)
        $script:Src = New-OwnedFile (Join-Path $S 'src.bin') $bytes -Mode '644'
        $script:Dest = New-AttackerFifo (Join-Path $A 'dest')
        $script:Racer = $null
    }
    AfterEach {
        if ($SkipReason) { return }
        Stop-Racer $Racer
    }

    It '<Command> writes it in place for the reader that is there' -ForEach $Writers {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $got = Join-Path $A 'got.bin'
        $script:Racer = Start-Racer $Suite fifo_reader.py $Attacker $A -Seconds 10 -Arguments @('--fifo', $Dest, '--mode', 'once', '--out', $got)

        $run = Invoke-Stoppable -RunSeconds 10 -ArgumentList $Src, $Dest -Script $Script
        $null = $Racer.Process.WaitForExit(5000)
        Stop-Racer $Racer

        $run.Finished | Should -BeTrue
        $run.Errors | Should -BeNullOrEmpty
        Get-Sha $got | Should -Be (Get-ExpectedSha $Command $Src)
        Get-Stat $Dest | Should -BeLike "fifo 666 $($Attacker.Uid) *"
        @(Get-ChildItem -LiteralPath $A -Force -Filter '*.splicetmp').Count | Should -Be 0
    }

    It '<Command> without a reader waits, and Ctrl+C returns within seconds leaving the FIFO a FIFO' -ForEach $Writers {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $run = Invoke-Stoppable -StopAfterSeconds 0.5 -ArgumentList $Src, $Dest -Script $Script -Release { Open-FifoBriefly $Dest }

        $run.Finished | Should -BeFalse -Because 'with nobody reading, the write waits'
        $run.Stuck | Should -BeFalse
        $run.StopSeconds | Should -BeLessThan 5
        $run.State | Should -Be 'Stopped'
        Get-Stat $Dest | Should -BeLike "fifo 666 $($Attacker.Uid) *"
        @(Get-ChildItem -LiteralPath $A -Force -Filter '*.splicetmp').Count | Should -Be 0
    }
}
