# Attack: root copies a private tree (a 0700 directory holding secrets in 0600 and 0644 files,
# under 0700 and 0755 subdirectories) into a directory that another user can traverse. That user
# reads and lists everything under the destination while the copy runs, and after a copy that was
# stopped half-way (Ctrl+C, or -ErrorAction Stop on one failing item). They must never read a
# secret byte nor see a mode wider than the source's: directories are made private and widened only
# once complete, and on every way out nothing is left wider than its source.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'Support/Attack.ps1')
}

BeforeAll {
    Import-Module $env:SPLICEMODULE_TEST_MODULE -Force
    . (Join-Path $PSScriptRoot 'Support/Attack.ps1')
    . (Join-Path $PSScriptRoot 'Support/ModuleRunspace.ps1')
    $script:SkipReason = Get-AttackSkipReason
    if ($SkipReason) { return }
    $script:Suite = Enter-AttackSuite
    $script:Reader = $Suite.Reader
    # A tmpfs of its own: thousands of files, made and removed quickly.
    $script:Scratch = New-Scratch 'private-scratch'
    $script:Work = $Scratch.Path

    # A private tree: root 0700; a*/ 0755 with 0644 files, b*/ 0700 with 0600 files; every file a secret.
    function New-PrivateTree([string] $Path, [int] $Dirs, [int] $Files) {
        New-FileTree $Suite $Path -Dirs $Dirs -Files $Files -DirName 'a{d:02}' -FileName 'f{f:03}' -Text 'SECRET {d}/{f}\n' -RootMode '700' | Out-Null
        New-FileTree $Suite $Path -Dirs $Dirs -Files $Files -DirName 'b{d:02}' -FileName 'f{f:03}' -Text 'SECRET {d}/{f}\n' -DirMode '700' -FileMode '600' -RootMode '700'
    }
    $script:Private = New-PrivateTree (Join-Path $Work 'private') 10 100
    $script:PrivateBefore = Get-TreeSnapshot $Private

    # Root's directory that the reader can traverse and list; each test copies into its own subdirectory.
    $script:Pub = New-OwnedDirectory (Join-Path $Work 'pub')
    $script:ReaderOut = New-OwnedDirectory (Join-Path $Work 'reader-out') $Reader

    # What the reader got under $Copy (a directory of $Pub): secret reads, listings, and modes wider
    # than the source item's (relative to $Source).
    function Get-ReaderFindings($Race, [string] $CopyName, [string] $Source, [string[]] $Ignore = @()) {
        $sourceModes = Get-TreeModes $Source
        $prefix = "$CopyName/"
        foreach ($event in $Race.Events) {
            if ($event.path -ne $CopyName -and -not $event.path.StartsWith($prefix)) { continue }
            $relative = if ($event.path -eq $CopyName) { '' } else { $event.path.Substring($prefix.Length) }
            switch ($event.kind) {
                'read' { "read $($event.path) ($($event.bytes) bytes$(if ($event.secret) { ', secret' }))" }
                'listed' { "listed $($event.path) ($($event.entries) names)" }
                'mode' {
                    $limit = $sourceModes[$relative]
                    if ($relative -notin $Ignore -and $null -ne $limit -and -not (Test-ModeWithin $event.mode $limit)) { "saw $($event.path) with mode $($event.mode) (source $limit)" }
                }
            }
        }
    }

    # One pass of the reader over $Pub, after the fact.
    function Invoke-ReaderPass {
        $racer = Start-Racer $Suite private_reader.py $Reader $ReaderOut -Max 1 -Seconds 10 -Arguments @('--root', $Pub, '--marker', 'SECRET')
        try { $null = $racer.Process.WaitForExit(20000) } finally { Stop-Racer $racer }
        Get-RacerResult $racer
    }
}

AfterAll {
    Remove-Scratch $Scratch
    if ($Suite) { Exit-AttackSuite $Suite }
}

Describe 'A private tree copied by root where another user looks' {
    BeforeEach { $script:Racer = $null }
    AfterEach { Stop-Racer $Racer }

    It 'the reader racing the copy reads no secret, lists nothing and sees no mode wider than the source''s' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $script:Racer = Start-Racer $Suite private_reader.py $Reader $ReaderOut -Seconds 10 -Arguments @('--root', $Pub, '--marker', 'SECRET')
        $runs = foreach ($round in 1..3) {
            Invoke-Stoppable -RunSeconds 20 -ArgumentList $Private, (Join-Path $Pub "copy$round") -Script {
                param($source, $copy)
                Copy-SpliceItem -LiteralPath $source -Destination $copy -Recurse
            }
        }
        Stop-Racer $Racer
        $race = Get-RacerResult $Racer

        $race.Summary.passes | Should -BeGreaterThan 3 -Because "the reader must really have looked ($($race.Stderr))"
        $runs.Finished | Should -Not -Contain $false
        foreach ($round in 1..3) {
            Get-ReaderFindings $race "copy$round" $Private | Should -BeNullOrEmpty
            Get-WiderModes (Join-Path $Pub "copy$round") $Private | Should -BeNullOrEmpty
        }
        Get-TreeSnapshot $Private | Should -Be $PrivateBefore
    }

    It 'twin: without the reader the copy is the tree, modes and all, without an error' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $copy = Join-Path $Pub 'twin'
        Copy-SpliceItem -LiteralPath $Private -Destination $copy -Recurse -ErrorVariable failure
        $failure | Should -BeNullOrEmpty
        Get-TreeSnapshot $copy | Should -Be $PrivateBefore
        $race = Invoke-ReaderPass
        Get-ReaderFindings $race 'twin' $Private | Should -BeNullOrEmpty
        Remove-Tree $copy
    }

    It 'stopped by Ctrl+C half-way, nothing in the copy is readable by the reader or wider than its source' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        # Big enough to be stopped half-way (100 directories of 100 files).
        $big = New-PrivateTree (Join-Path $Work 'private-big') 50 100
        $copy = Join-Path $Pub 'stopped'

        # Stopped once the copy has made a few directories under its hidden top: a fixed delay
        # let a fast copy end before the stop.
        $begun = { @(Get-ChildItem -LiteralPath $Pub -Force -Filter '.stopped.*' | ForEach-Object { Get-ChildItem -LiteralPath $_.FullName -Force -ErrorAction Ignore }).Count -ge 5 }
        $run = Invoke-Stoppable -StopWhen $begun -RunSeconds 20 -ArgumentList $big, $copy -Script {
            param($source, $copy)
            Copy-SpliceItem -LiteralPath $source -Destination $copy -Recurse
        }

        $run.Stuck | Should -BeFalse
        $run.StopSeconds | Should -BeLessThan 5
        if ($run.Finished) { Set-ItResult -Inconclusive -Because 'the copy ended before it was seen to begin' }
        # (A copy that removes what it made on Ctrl+C leaves nothing to look at, which is fine.)
        Get-WiderModes $copy $big | Should -BeNullOrEmpty
        $race = Invoke-ReaderPass
        Get-ReaderFindings $race 'stopped' $big | Should -BeNullOrEmpty
        Remove-Tree $copy
        Remove-Tree $big
    }

    It 'ended by -ErrorAction Stop on one failing item, nothing in the copy is readable by the reader or wider than its source' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        # The copy merges into an existing private/ where a05/f050 is a directory: that file fails.
        $into = New-OwnedDirectory (Join-Path $Pub 'merge')
        $existing = New-OwnedDirectory (Join-Path $into 'private') -Mode '700'
        New-OwnedDirectory (Join-Path $existing 'a05') -Mode '700' | Out-Null
        New-OwnedDirectory (Join-Path $existing 'a05/f050') -Mode '700' | Out-Null

        $run = Invoke-Stoppable -RunSeconds 20 -ArgumentList $Private, $into -Script {
            param($source, $into)
            Copy-SpliceItem -LiteralPath $source -Destination $into -Recurse -ThrottleLimit 1 -ErrorAction Stop
        }

        $run.Finished | Should -BeTrue
        $run.State | Should -Be 'Failed' -Because 'the failing item ends the copy'
        Test-Path -LiteralPath (Join-Path $existing 'a05/f050') -PathType Container | Should -BeTrue
        Get-WiderModes $existing $Private -Ignore 'a05/f050' | Should -BeNullOrEmpty
        $race = Invoke-ReaderPass
        Get-ReaderFindings $race 'merge/private' $Private -Ignore 'a05/f050' | Should -BeNullOrEmpty
        Remove-Tree $into
    }
}
