# Attacks on tree copies that root runs with -Recurse, where some directory on the way belongs to
# the attacker:
# - the directories the copy makes are renamed away and replaced by symlinks to a directory
#   outside the copy, so that the rest of the files would land there (a `passwd` in each);
# - the hidden temporary names under which FIFOs and sockets are recreated are replaced by
#   symlinks to a root-only file, so that a chmod by path would open it up;
# - the source's files (the attacker's own tree) are swapped for symlinks to a root-only secret
#   after the walk, so that a copy that opens by path would read the secret into the copy.
# - a -Preserve Links copy whose first copies, made in the attacker's directory, are replaced by
#   the attacker's own files, so that further names would be linked to those in root's directory.
# Nothing outside the destination may change, and no copy may contain the secret. Each attack has
# a twin without the attacker, in which the copy is exact and there is no error.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'Support/Attack.ps1')
}

BeforeAll {
    Import-Module $env:SPLICEMODULE_TEST_MODULE -Force
    . (Join-Path $PSScriptRoot 'Support/Attack.ps1')
    . (Join-Path $PSScriptRoot 'Support/ModuleRunspace.ps1')
    $script:Rounds = 3
    $script:SkipReason = Get-AttackSkipReason
    if ($SkipReason) { return }
    $script:Suite = Enter-AttackSuite
    $script:Attacker = $Suite.Attacker
    # A tmpfs of its own: thousands of files are made, raced and removed, and on a busy disk the
    # attacker's renames are too slow to race anything.
    $script:Scratch = New-Scratch 'tree-scratch'
    $script:Work = $Scratch.Path

    # 30 directories of 30 files, a `passwd` in each and one at the top (root's, 0755/0644).
    $script:Tree = New-FileTree $Suite (Join-Path $Work 'srctree') -Dirs 30 -Files 29 -Also 'passwd=tree passwd {d}\n'
    $script:TreeBefore = Get-TreeSnapshot $Tree

    # FIFOs (0666) and sockets (0777) to be recreated, not read, by a tree copy.
    $script:Nodes = New-OwnedDirectory (Join-Path $Work 'nodes')
    mkfifo -m 666 -- @(foreach ($n in 0..199) { Join-Path $Nodes ('n{0:000}' -f $n) })
    $sockets = @(foreach ($n in 0..9) { Join-Path $Nodes ('s{0:00}' -f $n) })
    New-SocketFile $sockets
    foreach ($socket in $sockets) { Set-Mode $socket '777' }
    $script:NodesBefore = Get-TreeSnapshot $Nodes

    # One attack round: the attacker's directory, and beside it root's `outside` (shaped like the
    # tree, so that redirected writes would land) and a root-only victim (0600) for planted links.
    function New-Case([string] $Name, [string] $In = $Work) {
        $root = New-OwnedDirectory (Join-Path $In "$Name-$([guid]::NewGuid().ToString('N'))")
        $outside = New-FileTree $Suite (Join-Path $root 'outside') -Dirs 30 -Also 'passwd=root:x:0:0:OUTSIDE {d}, never to be written\n'
        $victims = New-OwnedDirectory (Join-Path $root 'victims')
        $secret = "ROOTSECRET-$([guid]::NewGuid().ToString('N'))"
        $victim = New-OwnedFile (Join-Path $victims 'secret') "$secret`n" -Mode '600'
        [pscustomobject]@{
            Root = $root
            A = New-OwnedDirectory (Join-Path $root 'attacker') $Attacker
            Outside = $outside
            OutsideBefore = Get-TreeSnapshot $outside
            Victims = $victims
            VictimsBefore = Get-TreeSnapshot $victims
            Victim = $victim
            Secret = $secret
        }
    }

    # What every attack round ends with: nothing outside the destination changed.
    function Assert-OutsideUnchanged($Case) {
        Get-TreeSnapshot $Case.Outside | Should -Be $Case.OutsideBefore -Because 'nothing outside the destination may be written'
        Get-TreeSnapshot $Case.Victims | Should -Be $Case.VictimsBefore -Because 'the root-only victim keeps its content, mode and owner'
    }
}

AfterAll {
    Remove-Scratch $Scratch
    if ($Suite) { Exit-AttackSuite $Suite }
}

Describe 'A tree copy whose new directories are swapped for symlinks to a directory outside' {
    BeforeEach { $script:Racer = $null }
    AfterEach { Stop-Racer $Racer }

    It 'copying srctree/* into the attacker''s directory while each new subdirectory becomes a link to outside: outside is unchanged (<Rounds> rounds)' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $swaps = 0
        for ($round = 1; $round -le $Rounds; $round++) {
            $case = New-Case 'subdirs'
            $into = New-OwnedDirectory (Join-Path $case.A 'copy') $Attacker
            $script:Racer = Start-Racer $Suite tree_redirect.py $Attacker $case.A -Seconds 10 -Arguments @('--watch', $into, '--pattern', 'd\d\d', '--target', $case.Outside)

            $run = Invoke-Stoppable -RunSeconds 20 -ArgumentList "$Tree/*", $into -Script {
                param($source, $into)
                Copy-SpliceItem -Path $source -Destination $into -Recurse
            }
            Stop-Racer $Racer
            $swaps += (Get-RacerResult $Racer).Summary.swaps

            $run.Finished | Should -BeTrue
            Assert-OutsideUnchanged $case
            Remove-Tree $case.Root
        }
        Get-TreeSnapshot $Tree | Should -Be $TreeBefore
        $swaps | Should -BeGreaterThan 0 -Because 'the attacker must have won some renames for the test to mean anything'
    }

    It 'copying srctree with -Recurse to a new name in the attacker''s directory while that directory becomes a link to outside: outside is unchanged (<Rounds> rounds)' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $swaps = 0
        for ($round = 1; $round -le $Rounds; $round++) {
            $case = New-Case 'root'
            $script:Racer = Start-Racer $Suite tree_redirect.py $Attacker $case.A -Seconds 10 -Arguments @('--watch', $case.A, '--pattern', 'copy', '--target', $case.Outside)

            $run = Invoke-Stoppable -RunSeconds 20 -ArgumentList $Tree, (Join-Path $case.A 'copy') -Script {
                param($source, $copy)
                Copy-SpliceItem -LiteralPath $source -Destination $copy -Recurse
            }
            Stop-Racer $Racer
            $swaps += (Get-RacerResult $Racer).Summary.swaps

            $run.Finished | Should -BeTrue
            Assert-OutsideUnchanged $case
            Remove-Tree $case.Root
        }
        Get-TreeSnapshot $Tree | Should -Be $TreeBefore
        $swaps | Should -BeGreaterThan 0 -Because 'the attacker must have won some renames for the test to mean anything'
    }

    It 'twin: without the attacker both copies are byte for byte the tree, without an error' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $case = New-Case 'twin'
        $into = New-OwnedDirectory (Join-Path $case.A 'copy') $Attacker
        Copy-SpliceItem -Path "$Tree/*" -Destination $into -Recurse -ErrorVariable failure
        Copy-SpliceItem -LiteralPath $Tree -Destination (Join-Path $case.A 'whole') -Recurse -ErrorVariable +failure
        $failure | Should -BeNullOrEmpty
        Get-TreeSnapshot (Join-Path $case.A 'whole') | Should -Be $TreeBefore
        # srctree/* into the attacker's directory: the same items below it (its own line aside).
        Get-TreeSnapshot $into | Select-Object -Skip 1 | Should -Be ($TreeBefore | Select-Object -Skip 1)
        Assert-OutsideUnchanged $case
        Remove-Tree $case.Root
    }
}

Describe 'FIFOs and sockets recreated in the attacker''s directory while their temporary names become links to a root-only file' {
    BeforeEach { $script:Racer = $null }
    AfterEach { Stop-Racer $Racer }

    It 'the victim stays 0600 root''s (<Rounds> rounds of 200 FIFOs and 10 sockets)' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $swaps = 0
        for ($round = 1; $round -le $Rounds; $round++) {
            $case = New-Case 'nodes'
            # The attacker's own directory that the tree is merged into (it exists, so the copy fills it).
            $into = New-OwnedDirectory (Join-Path $case.A 'nodes') $Attacker
            $script:Racer = Start-Racer $Suite tmp_swap.py $Attacker $case.A -Seconds 10 -Arguments @('--watch', $into, '--target', $case.Victim)

            $run = Invoke-Stoppable -RunSeconds 20 -ArgumentList $Nodes, $case.A -Script {
                param($source, $into)
                Copy-SpliceItem -LiteralPath $source -Destination $into -Recurse
            }
            Stop-Racer $Racer
            $swaps += (Get-RacerResult $Racer).Summary.swaps

            $run.Finished | Should -BeTrue
            stat -c '%a %u %g' -- $case.Victim | Should -Be '600 0 0'
            Assert-OutsideUnchanged $case
            # What was made as root is no wider than its source.
            Get-WiderModes $into $Nodes | Should -BeNullOrEmpty
            Remove-Tree $case.Root
        }
        Get-TreeSnapshot $Nodes | Should -Be $NodesBefore
        Write-Host "    (the attacker swapped $swaps temporary names)"
    }

    It 'twin: without the attacker each FIFO and socket is recreated with the source''s type and mode, without an error' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $case = New-Case 'nodes-twin'
        $into = New-OwnedDirectory (Join-Path $case.A 'nodes') $Attacker
        Copy-SpliceItem -LiteralPath $Nodes -Destination $case.A -Recurse -ErrorVariable failure
        $failure | Should -BeNullOrEmpty
        # Names, types (p: FIFO, s: socket) and modes, the directory itself included.
        Get-TreeSnapshot $into -NoOwner | Should -Be (Get-TreeSnapshot $Nodes -NoOwner)
        Assert-OutsideUnchanged $case
        Remove-Tree $case.Root
    }
}

Describe 'A source tree of the attacker''s whose files become symlinks to a root-only secret after the walk' {
    BeforeAll {
        if ($SkipReason) { return }
        $script:Own = New-Case 'source-swap'
        $script:OwnTree = New-FileTree $Suite (Join-Path $Own.A 'tree') -Owner $Attacker -Dirs 10 -Files 50 -Text 'plain {d}/{f}\n'
        $script:Keep = New-OwnedDirectory (Join-Path $Own.A 'keep') $Attacker
        $script:Out = New-OwnedDirectory (Join-Path $Own.Root 'root-out') -Mode '700'
    }
    BeforeEach { $script:Racer = $null }
    AfterEach { Stop-Racer $Racer }

    It 'no file of the copy holds the secret (<Rounds> rounds)' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $script:Racer = Start-Racer $Suite source_swap.py $Attacker $Own.A -Seconds 10 -Arguments @('--tree', $OwnTree, '--keep', $Keep, '--secret', $Own.Victim)
        $runs = for ($round = 1; $round -le $Rounds; $round++) {
            Invoke-Stoppable -RunSeconds 20 -ArgumentList $OwnTree, (Join-Path $Out "copy$round") -Script {
                param($source, $copy)
                Copy-SpliceItem -LiteralPath $source -Destination $copy -Recurse
            }
        }
        Stop-Racer $Racer
        $race = Get-RacerResult $Racer

        $race.Summary.sweeps | Should -BeGreaterThan 2 -Because "the race must really have run ($($race.Stderr))"
        $runs.Finished | Should -Not -Contain $false
        $leaks = @(find $Out -type f -print0 | xargs -0 -r grep -l -F -- $Own.Secret)
        $leaks | Should -BeNullOrEmpty -Because "$($leaks.Count) files of the copy hold the root-only secret"
        Assert-OutsideUnchanged $Own
        Write-Host "    ($(@($runs.Errors).Count) errors under attack: $(@($runs.Errors | ForEach-Object { ($_.FullyQualifiedErrorId -split ',')[0] } | Sort-Object -Unique) -join ', '))"
    }

    It 'twin: without the attacker the copy is the tree, without an error' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $copy = Join-Path $Out 'twin'
        Copy-SpliceItem -LiteralPath $OwnTree -Destination $copy -Recurse -ErrorVariable failure
        $failure | Should -BeNullOrEmpty
        Get-TreeSnapshot $copy -NoOwner | Should -Be (Get-TreeSnapshot $OwnTree -NoOwner)
    }
}

Describe 'A -Preserve Links copy whose first copies, in the attacker''s directory, are replaced by the attacker''s own files' {
    BeforeEach { $script:Racer = $null }
    AfterEach { Stop-Racer $Racer }

    It 'root''s directory gets root''s copies of the source, linked only to files the copy wrote, without an error' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $case = New-Case 'links'
        # src/a/xN and src/b/xN are one file; the copy's a/ is the attacker's, its b/ root's.
        $source = New-OwnedDirectory (Join-Path $case.Root 'src')
        foreach ($half in 'a', 'b') { $null = New-OwnedDirectory (Join-Path $source $half) }
        bash -c "cd '$source' && for n in `$(seq -w 300); do head -c 4096 /dev/urandom > a/x`$n && ln a/x`$n b/x`$n; done"
        $destination = New-OwnedDirectory (Join-Path $case.Root 'dst')
        $null = New-OwnedDirectory (Join-Path $destination 'src')
        $mine = New-OwnedDirectory (Join-Path $destination 'src/a') $Attacker
        $roots = New-OwnedDirectory (Join-Path $destination 'src/b')
        $script:Racer = Start-Racer $Suite link_swap.py $Attacker $case.A -Seconds 20 -Arguments @('--watch', $mine, '--count', '300', '--size', '4096')

        $run = Invoke-Stoppable -RunSeconds 30 -ArgumentList $source, $destination -Script {
            param($source, $destination)
            Copy-SpliceItem -LiteralPath $source -Destination $destination -Recurse -Preserve All -ThrottleLimit 1
        }
        Stop-Racer $Racer
        $race = Get-RacerResult $Racer

        $race.Summary.swaps | Should -BeGreaterThan 0 -Because "the attacker must have replaced first copies for the test to mean anything ($($race.Stderr))"
        $run.Finished | Should -BeTrue
        $run.Errors | Should -BeNullOrEmpty -Because 'a first copy replaced or removed after it was made leaves the next name to a copy of its own'
        @(find $roots -not -user 0) | Should -BeNullOrEmpty -Because 'no file of the attacker''s may be linked into root''s directory'
        $attackers = @(find $mine -user $Attacker.Uid -printf '%i\n')
        @(find $roots -type f -printf '%i\n' | Where-Object { $_ -in $attackers }) | Should -BeNullOrEmpty
        @(bash -c "cd '$source/b' && for f in *; do cmp -s -- `$f '$roots'/`$f || echo `$f; done") | Should -BeNullOrEmpty -Because 'every name in root''s directory holds the source''s bytes'
        @(Get-ChildItem -LiteralPath $roots).Count | Should -Be 300
        Assert-OutsideUnchanged $case
        Remove-Tree $case.Root
    }
}
