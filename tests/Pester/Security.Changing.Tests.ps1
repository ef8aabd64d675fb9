# Attacks that change a file while root copies it, where the attacker owns the file or the
# directory it is written in:
# - -Verify while the hidden temporary file is swapped for a symlink: success must mean that the
#   destination is a regular file with the right content, never the attacker's link;
# - Invoke-Tee to four files while the source is rewritten in place: the four must agree with
#   each other (the bytes are taken out once), or the cmdlet reports an error;
# - a sparse source truncated mid-copy: a plain success must be a faithful copy, never 64 MiB of
#   what was read padded with zeros; what was cut short ends in a warning or an error;
# - a plain (not sparse) source truncated mid-copy, alone and inside a tree (copied by its size):
#   a plain success must be one state of the file; one cut short is cut to the file's new length,
#   with a warning, never silently the bytes read before the cut.
# Each has a twin without the attacker that must succeed without an error or a warning.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'Support/Attack.ps1')
    $script:Shapes = @(@{ Shape = 'a file' }, @{ Shape = 'a tree' })
}

BeforeAll {
    Import-Module $env:SPLICEMODULE_TEST_MODULE -Force
    . (Join-Path $PSScriptRoot 'Support/Attack.ps1')
    . (Join-Path $PSScriptRoot 'Support/ModuleRunspace.ps1')
    $script:SkipReason = Get-AttackSkipReason
    if ($SkipReason) { return }
    $script:Suite = Enter-AttackSuite
    $script:Attacker = $Suite.Attacker
    $script:Scratch = New-Scratch 'changing-scratch' '1g'
    $script:Work = $Scratch.Path

    function New-Case([string] $Name) {
        $root = New-OwnedDirectory (Join-Path $Work "$Name-$([guid]::NewGuid().ToString('N'))")
        [pscustomobject]@{
            Root = $root
            A = New-OwnedDirectory (Join-Path $root 'attacker') $Attacker
            Out = New-OwnedDirectory (Join-Path $root 'out')
            Victims = New-OwnedDirectory (Join-Path $root 'victims')
        }
    }

    # Pseudo-random bytes, the same for a seed.
    function New-Bytes([int] $Size, [int] $Seed) { $bytes = [byte[]]::new($Size); [Random]::new($Seed).NextBytes($bytes); , $bytes }

    # 64 MiB with 1 MiB of data every 2 MiB (32 extents), the attacker's, with its access time an
    # hour before its modification time (so that the first read moves it).
    function New-SparseSource([string] $Path) {
        $stream = [IO.File]::Create($Path)
        try {
            $stream.SetLength(64MB)
            $block = New-Bytes 1MB 11
            for ($offset = 0L; $offset -lt 64MB; $offset += 2MB) {
                $stream.Position = $offset
                $block[0] = [byte]($offset / 2MB)
                $stream.Write($block, 0, $block.Length)
            }
        }
        finally { $stream.Dispose() }
        chown "$($Attacker.Uid):$($Attacker.Gid)" -- $Path
        touch -a -d '1 hour ago' -- $Path
        $Path
    }

    # 256 MiB of the attacker's, not sparse, its access time an hour before its modification time.
    function New-PlainSource([string] $Path) {
        $stream = [IO.File]::Create($Path)
        try {
            $block = New-Bytes 1MB 17
            for ($n = 0; $n -lt 256; $n++) { $block[0] = [byte]$n; $stream.Write($block, 0, $block.Length) }
        }
        finally { $stream.Dispose() }
        chown "$($Attacker.Uid):$($Attacker.Gid)" -- $Path
        touch -a -d '1 hour ago' -- $Path
        $Path
    }
}

AfterAll {
    Remove-Scratch $Scratch
    if ($Suite) { Exit-AttackSuite $Suite }
}

Describe '-Verify while the temporary file is swapped for a symlink' {
    BeforeEach {
        $script:Racer = $null
        if ($SkipReason) { return }
        $script:Case = New-Case 'verify'
        $script:Src = New-OwnedFile (Join-Path $Case.Out 'src.bin') (New-Bytes 4MB 3)
        $script:Victim = New-OwnedFile (Join-Path $Case.Victims 'victim') "VICTIM`n"
        $script:VictimsBefore = Get-TreeSnapshot $Case.Victims
    }
    AfterEach {
        Stop-Racer $Racer
        if ($Case) { Remove-Tree $Case.Root }
    }

    # One copy after another; after each, what stands at the name (the attacker's link is removed).
    BeforeAll {
        $script:VerifyLoop = {
            param($src, $dest, $count)
            for ($i = 0; $i -lt $count; $i++) {
                $failed = $false
                try { Copy-SpliceItem -LiteralPath $src -Destination $dest -Verify -ErrorAction Stop } catch { $failed = $true }
                $info = [IO.FileInfo]::new($dest)
                $link = $info.LinkTarget
                $hash = if (-not $link -and $info.Exists) { (Get-FileHash -LiteralPath $dest -Algorithm SHA256).Hash }
                [pscustomobject]@{ Failed = $failed; Link = $link; Hash = $hash }
                if ($link) { [IO.File]::Delete($dest) }
            }
        }
    }

    It 'never reports success while the destination is the attacker''s link (20 copies)' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $script:Racer = Start-Racer $Suite tmp_swap.py $Attacker $Case.A -Seconds 10 -Arguments @('--watch', $Case.A, '--target', $Victim)

        $run = Invoke-Stoppable -RunSeconds 30 -ArgumentList $Src, (Join-Path $Case.A 'dest'), 20 -Script $VerifyLoop
        Stop-Racer $Racer

        $run.Finished | Should -BeTrue
        $run.Output.Count | Should -Be 20
        $lies = @($run.Output | Where-Object { -not $_.Failed -and ($_.Link -or $_.Hash -ne (Get-Sha $Src)) })
        $lies | Should -BeNullOrEmpty -Because "$($lies.Count) copies reported success with $(@($lies.Link | Select-Object -Unique) -join ', ') at the destination"
        Get-TreeSnapshot $Case.Victims | Should -Be $VictimsBefore
    }

    It 'twin: without the attacker every -Verify copy succeeds with the right content' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $run = Invoke-Stoppable -RunSeconds 30 -ArgumentList $Src, (Join-Path $Case.A 'dest'), 3 -Script $VerifyLoop
        $run.Errors | Should -BeNullOrEmpty
        $run.Output.Failed | Should -Not -Contain $true
        $run.Output.Link | Where-Object { $_ } | Should -BeNullOrEmpty
        $run.Output.Hash | Select-Object -Unique | Should -Be (Get-Sha $Src)
    }
}

Describe 'Invoke-Tee to four files while the source is rewritten in place' {
    BeforeEach {
        $script:Racer = $null
        if ($SkipReason) { return }
        $script:Case = New-Case 'tee'
        $script:Src = New-OwnedFile (Join-Path $Case.A 'big.bin') (New-Bytes 64MB 4) $Attacker
        $script:Targets = @(1..4 | ForEach-Object { Join-Path $Case.Out "t$_.bin" })
    }
    AfterEach {
        Stop-Racer $Racer
        if ($Case) { Remove-Tree $Case.Root }
    }

    It 'the four copies are the same, or an error says why not (3 rounds)' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $script:Racer = Start-Racer $Suite rewrite.py $Attacker $Case.A -Seconds 10 -Arguments @('--file', $Src)
        foreach ($round in 1..3) {
            $run = Invoke-Stoppable -RunSeconds 30 -ArgumentList $Src, $Targets -Script {
                param($src, $targets)
                Invoke-Tee -LiteralPath $src -Destination $targets
            }
            $run.Finished | Should -BeTrue
            if ($run.Errors.Count -eq 0) {
                $hashes = @($Targets | ForEach-Object { if (Test-Path -LiteralPath $_) { Get-Sha $_ } else { 'missing' } })
                @($hashes | Select-Object -Unique).Count | Should -Be 1 -Because "round $round reported success with $(@($hashes | Select-Object -Unique).Count) different copies"
            }
            Remove-Item -LiteralPath $Targets -Force -ErrorAction Ignore
        }
        Stop-Racer $Racer
        (Get-RacerResult $Racer).Summary.writes | Should -BeGreaterThan 100 -Because 'the source must really have been rewritten'
    }

    It 'twin: without the attacker the four copies are the source, without an error' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        Invoke-Tee -LiteralPath $Src -Destination $Targets -ErrorVariable failure -WarningVariable warned
        $failure | Should -BeNullOrEmpty
        $warned | Should -BeNullOrEmpty
        $Targets | ForEach-Object { Get-Sha $_ } | Select-Object -Unique | Should -Be (Get-Sha $Src)
    }
}

Describe 'A sparse source truncated to 1 MiB mid-copy' {
    BeforeEach {
        $script:Racer = $null
        if ($SkipReason) { return }
        $script:Case = New-Case 'sparse'
    }
    AfterEach {
        Stop-Racer $Racer
        if ($Case) { Remove-Tree $Case.Root }
    }

    It 'does not report plain success for 64 MiB padded with zeros (3 rounds)' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        foreach ($round in 1..3) {
            $src = New-SparseSource (Join-Path $Case.A "sparse$round.img")
            $whole = Get-Sha $src
            touch -a -d '1 hour ago' -- $src
            $copy = Join-Path $Case.Out "copy$round.img"
            $go = Join-Path $Case.Out "go$round"
            $script:Racer = Start-Racer $Suite truncate_on_copy.py $Attacker $Case.A -Seconds 10 -Arguments @('--file', $src, '--watch', $Case.Out, '--go', $go)

            $run = Invoke-Stoppable -RunSeconds 30 -ArgumentList $src, $copy, $go -Script {
                param($src, $copy, $go)
                [IO.File]::WriteAllText($go, 'go')
                Copy-SpliceItem -LiteralPath $src -Destination $copy
            }
            Stop-Racer $Racer
            $race = Get-RacerResult $Racer

            $race.Summary.truncated | Should -BeTrue -Because "the source must really have been cut ($($race.Stderr))"
            $run.Finished | Should -BeTrue
            if ($run.Errors.Count -eq 0 -and $run.Warnings.Count -eq 0) {
                # A plain success copied one state of the file: all of it as it was, or the 1 MiB it
                # was cut to (when the cut came before the copy opened it); never a mixture.
                Test-Path -LiteralPath $copy | Should -BeTrue
                Get-Sha $copy | Should -BeIn @($whole, (Get-Sha $src)) -Because "round $round ($($race.Events.why) triggered the cut) reported plain success, so the copy must be one state of the file, not $((Get-Item -LiteralPath $copy).Length) bytes of what was read padded with zeros"
            }
        }
    }

    It 'twin: without the attacker the copy is the file, sparse, without an error or a warning' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $src = New-SparseSource (Join-Path $Case.A 'sparse.img')
        $copy = Copy-SpliceItem -LiteralPath $src -Destination (Join-Path $Case.Out 'copy.img') -PassThru -ErrorVariable failure -WarningVariable warned
        $failure | Should -BeNullOrEmpty
        $warned | Should -BeNullOrEmpty
        $copy.Sparse | Should -BeTrue
        Get-Sha $copy.FullName | Should -Be (Get-Sha $src)
    }
}

Describe 'A plain source truncated to 1 MiB mid-copy' {
    BeforeEach {
        $script:Racer = $null
        if ($SkipReason) { return }
        $script:Case = New-Case 'plain'
    }
    AfterEach {
        Stop-Racer $Racer
        if ($Case) { Remove-Tree $Case.Root }
    }

    It 'copied as <Shape>: never plain success with what was read before the cut (3 rounds)' -ForEach $Shapes {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        foreach ($round in 1..3) {
            $tree = New-OwnedDirectory (Join-Path $Case.A "tree$round") $Attacker
            $src = New-PlainSource (Join-Path $tree 'plain.img')
            $whole = Get-Sha $src
            $from, $copy = if ($Shape -eq 'a tree') { $tree, (Join-Path $Case.Out "copy$round/plain.img") } else { $src, (Join-Path $Case.Out "copy$round.img") }
            # The cut comes a moment after the copy opens the file (on tmpfs its access time moves
            # only once all of it was read), later each round.
            $script:Racer = Start-Racer $Suite truncate_on_copy.py $Attacker $Case.A -Seconds 20 -Arguments @('--file', $src, '--watch', $Case.A, '--suffix', '.never', '--on-open', '--delay', (0.001 * $round * $round))

            $run = Invoke-Stoppable -RunSeconds 30 -ArgumentList $from, (Split-Path $copy -Parent), ($Shape -eq 'a tree'), $copy -Script {
                param($from, $into, $recurse, $copy)
                if ($recurse) { Copy-SpliceItem -LiteralPath $from -Destination $into -Recurse } else { Copy-SpliceItem -LiteralPath $from -Destination $copy }
            }
            Stop-Racer $Racer
            $race = Get-RacerResult $Racer

            $race.Summary.truncated | Should -BeTrue -Because "the source must really have been cut ($($race.Stderr))"
            $run.Finished | Should -BeTrue
            $run.Errors | Should -BeNullOrEmpty
            Test-Path -LiteralPath $copy | Should -BeTrue
            $length = (Get-Item -LiteralPath $copy).Length
            if ($run.Warnings.Count -eq 0) {
                Get-Sha $copy | Should -BeIn @($whole, (Get-Sha $src)) -Because "round $round reported plain success, so the copy must be one state of the file, not the first $length bytes read before the cut"
            }
            else {
                "$($run.Warnings)" | Should -Match 'shrank'
                Get-Sha $copy | Should -Be (Get-Sha $src) -Because 'what was read past the new end is not kept'
            }
            Remove-Tree $tree
            Remove-Tree (Join-Path $Case.Out "copy$round")
            Remove-Item -LiteralPath (Join-Path $Case.Out "copy$round.img") -ErrorAction Ignore
        }
    }

    It 'twin: without the attacker the copy is the file, without an error or a warning' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $tree = New-OwnedDirectory (Join-Path $Case.A 'tree') $Attacker
        $src = New-PlainSource (Join-Path $tree 'plain.img')
        Copy-SpliceItem -LiteralPath $tree -Destination (Join-Path $Case.Out 'copy') -Recurse -ErrorVariable failure -WarningVariable warned
        Copy-SpliceItem -LiteralPath $src -Destination (Join-Path $Case.Out 'one.img') -ErrorVariable +failure -WarningVariable +warned
        $failure | Should -BeNullOrEmpty
        $warned | Should -BeNullOrEmpty
        Get-Sha (Join-Path $Case.Out 'copy/plain.img') | Should -Be (Get-Sha $src)
        Get-Sha (Join-Path $Case.Out 'one.img') | Should -Be (Get-Sha $src)
    }
}
