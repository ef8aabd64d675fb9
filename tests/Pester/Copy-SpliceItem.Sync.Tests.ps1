# Copy-SpliceItem copying only what changed, compared with what rsync makes of the same trees:
# -Update (rsync -a's quick check), -Checksum (rsync -ac), -NoClobber (rsync --ignore-existing),
# -Mirror (rsync -a --delete), -Exclude of directories (rsync --exclude), -Retry, -Summary.
BeforeDiscovery {
    $script:hasRsync = [bool](Get-Command rsync -ErrorAction Ignore)
    $script:isRoot = (id -u) -eq '0'
}

BeforeAll {
    Import-Module $env:SPLICEMODULE_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'Support/FreshPwsh.psm1') -Force
    $script:isRoot = (id -u) -eq '0'

    # A pwsh of its own running $command with the module, its standard input fed from $answers
    # (the console host reads -Confirm's answers there); killed after a minute. Returns what it wrote.
    function Invoke-Answered([string] $command, [string] $answers) {
        $pwsh = Get-FreshPwshCommand
        $start = [Diagnostics.ProcessStartInfo]::new($pwsh[0])
        foreach ($argument in @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-Command', "Import-Module '$env:SPLICEMODULE_TEST_MODULE'; $command")) { $start.ArgumentList.Add($argument) }
        $start.UseShellExecute = $false
        $start.RedirectStandardInput = $true
        $start.RedirectStandardOutput = $true
        $start.RedirectStandardError = $true
        $process = [Diagnostics.Process]::Start($start)
        try {
            $output = $process.StandardOutput.ReadToEndAsync()
            $errors = $process.StandardError.ReadToEndAsync()
            $process.StandardInput.Write($answers)
            $process.StandardInput.Close()
            if (-not $process.WaitForExit(60000)) { throw "pwsh did not finish: $command" }
            $output.Result + $errors.Result
        }
        finally {
            if (-not $process.HasExited) { $process.Kill($true) }
            $process.Dispose()
        }
    }

    # src/{a.txt, b.bin, sub/{c.txt, deep/d.txt}, link -> a.txt}, with times a second apart in the past.
    function New-SyncTree([string] $root) {
        New-Item -ItemType Directory -Path "$root/sub/deep" -Force | Out-Null
        Set-Content -LiteralPath "$root/a.txt" -Value 'alpha'
        [IO.File]::WriteAllBytes("$root/b.bin", [byte[]](1..200))
        Set-Content -LiteralPath "$root/sub/c.txt" -Value 'charlie'
        Set-Content -LiteralPath "$root/sub/deep/d.txt" -Value 'delta'
        ln -s a.txt "$root/link"
        $when = 0
        foreach ($file in 'a.txt', 'b.bin', 'sub/c.txt', 'sub/deep/d.txt') { touch -d "2020-01-01 00:00:0$when" "$root/$file"; $when++ }
        touch -h -d '2020-01-02' "$root/link"
        foreach ($dir in 'sub/deep', 'sub', '.') { touch -d '2020-01-03' "$root/$dir" }
    }

    # Everything a copy carries, one line per item: relative path, type, mode, size (files),
    # modification time, link target and content hash; sorted.
    # -NoDirectoryTimes: rsync leaves a directory whose content it filtered (--exclude) with the
    # time it made it, where the copy gives it its source's.
    function Get-SyncSnapshot([string] $root, [switch] $NoDirectoryTimes) {
        $lines = find $root -mindepth 1 -printf '%P|%y|%m|%T@|%l|%s\n' | ForEach-Object {
            $p = $_.Split('|')
            if ($p[1] -eq 'd') { $p[5] = '-'; if ($NoDirectoryTimes) { $p[3] = '-' } }
            if ($p[1] -eq 'f') { $p[5] += '|' + (Get-FileHash -LiteralPath (Join-Path $root $p[0]) -Algorithm SHA256).Hash }
            $p -join '|'
        }
        @($lines | Sort-Object)
    }

    function Get-Inode([string] $path) { stat -c '%i' -- $path }

    # A case directory with src/, and into/ and rsync/ to copy it into: `Copy-SpliceItem src into
    # -Recurse` makes into/src every time, as `rsync -a src rsync/` makes rsync/src (a destination
    # that does not exist yet would become the copy the first time and receive it the second).
    function New-Case {
        $case = Join-Path $TestDrive ([guid]::NewGuid().ToString('n'))
        New-SyncTree "$case/src"
        New-Item -ItemType Directory -Path "$case/into", "$case/rsync" | Out-Null
        $case
    }

    # The copy into into/ with these switches, and rsync with its options into rsync/.
    function Copy-Both([string] $case, [hashtable] $switches = @{}, [string[]] $rsync = @()) {
        Copy-SpliceItem -LiteralPath "$case/src" -Destination "$case/into" -Recurse @switches
        rsync -a @rsync "$case/src" "$case/rsync/"
    }
}

Describe 'Copy-SpliceItem -Update, as rsync -a re-runs' -Skip:(-not $hasRsync) {
    It 're-running over an unchanged copy writes nothing: every file keeps its inode, no item is passed through, and the summary counts all as unchanged' {
        $case = New-Case
        Copy-Both $case
        $names = 'a.txt', 'b.bin', 'sub/c.txt', 'sub/deep/d.txt', 'link'
        $inodes = foreach ($f in $names) { Get-Inode "$case/into/src/$f" }

        $out = @(Copy-SpliceItem -LiteralPath "$case/src" -Destination "$case/into" -Recurse -Update -PassThru -Summary)

        $out.Count | Should -Be 1 -Because 'unchanged items are not passed through; only the summary comes out'
        $out[0] | Should -BeOfType SpliceModule.SpliceCopySummary
        $out[0].Copied | Should -Be 0
        $out[0].Skipped | Should -Be 5
        $out[0].BytesSkipped | Should -Be ((Get-Item "$case/src/a.txt").Length + 200 + (Get-Item "$case/src/sub/c.txt").Length + (Get-Item "$case/src/sub/deep/d.txt").Length)
        $out[0].Failed | Should -Be 0
        $after = foreach ($f in $names) { Get-Inode "$case/into/src/$f" }
        $after | Should -Be $inodes
        Get-SyncSnapshot "$case/into/src" | Should -Be (Get-SyncSnapshot "$case/src")
    }

    It 'copies a file whose time changed (same size) and one whose size changed, and leaves the rest, as rsync -a does' {
        $case = New-Case
        Copy-Both $case
        touch -d '2021-06-01 12:00:00.123456789' "$case/src/a.txt"
        Set-Content -LiteralPath "$case/src/sub/c.txt" -Value 'charlie, longer now'
        $keptB = Get-Inode "$case/into/src/b.bin"
        $keptD = Get-Inode "$case/into/src/sub/deep/d.txt"
        $oldA = Get-Inode "$case/into/src/a.txt"

        $out = @(Copy-SpliceItem -LiteralPath "$case/src" -Destination "$case/into" -Recurse -Update -PassThru)
        rsync -a "$case/src" "$case/rsync/"

        @($out | Where-Object { $_ -is [IO.FileInfo] } | ForEach-Object Name | Sort-Object) | Should -Be @('a.txt', 'c.txt')
        Get-Inode "$case/into/src/b.bin" | Should -Be $keptB
        Get-Inode "$case/into/src/sub/deep/d.txt" | Should -Be $keptD
        Get-Inode "$case/into/src/a.txt" | Should -Not -Be $oldA -Because 'a file whose time changed is copied again'
        Get-SyncSnapshot "$case/into/src" | Should -Be (Get-SyncSnapshot "$case/rsync/src")
    }

    It 'leaves a file of the same size and time even when its content differs (the quick check), and -Checksum copies it, as rsync -a and rsync -ac do' {
        $case = New-Case
        Copy-Both $case
        foreach ($copy in 'into', 'rsync') {
            Set-Content -LiteralPath "$case/$copy/src/a.txt" -Value 'ALPHA'
            touch -r "$case/src/a.txt" "$case/$copy/src/a.txt"
        }

        Copy-Both $case @{ Update = $true }
        Get-Content -LiteralPath "$case/into/src/a.txt" | Should -Be 'ALPHA'
        Get-Content -LiteralPath "$case/rsync/src/a.txt" | Should -Be 'ALPHA'

        $summary = Copy-SpliceItem -LiteralPath "$case/src" -Destination "$case/into" -Recurse -Checksum -Summary
        rsync -ac "$case/src" "$case/rsync/"
        Get-Content -LiteralPath "$case/into/src/a.txt" | Should -Be 'alpha'
        $summary.Copied | Should -Be 1
        $summary.Skipped | Should -Be 4
        Get-SyncSnapshot "$case/into/src" | Should -Be (Get-SyncSnapshot "$case/rsync/src")
    }

    It 'gives a file left alone its source''s mode back, as rsync -a does' {
        $case = New-Case
        Copy-Both $case
        chmod 600 "$case/into/src/b.bin" "$case/rsync/src/b.bin"
        $inode = Get-Inode "$case/into/src/b.bin"

        Copy-Both $case @{ Update = $true }

        Get-Inode "$case/into/src/b.bin" | Should -Be $inode
        stat -c '%a' "$case/into/src/b.bin" | Should -Be (stat -c '%a' "$case/src/b.bin")
        Get-SyncSnapshot "$case/into/src" | Should -Be (Get-SyncSnapshot "$case/rsync/src")
    }

    It 'recreates a link whose target changed and leaves one that did not' {
        $case = New-Case
        # Times whole seconds apart: rsync compares times to the second and leaves a link made within the same second as its source untouched.
        ln -s b.bin "$case/src/link2"
        touch -h -d '2020-01-04' "$case/src/link2"
        Copy-Both $case
        $kept = Get-Inode "$case/into/src/link2"
        rm "$case/src/link"; ln -s sub/c.txt "$case/src/link"
        touch -h -d '2020-01-05' "$case/src/link"

        Copy-Both $case @{ Update = $true }

        readlink "$case/into/src/link" | Should -Be 'sub/c.txt'
        Get-Inode "$case/into/src/link2" | Should -Be $kept
        Get-SyncSnapshot "$case/into/src" | Should -Be (Get-SyncSnapshot "$case/rsync/src")
    }

    It 'a named file: -Update leaves an unchanged destination (same inode) and copies a changed one' {
        $case = New-Case
        Copy-SpliceItem -LiteralPath "$case/src/a.txt" -Destination "$case/one.txt"
        $inode = Get-Inode "$case/one.txt"
        Copy-SpliceItem -LiteralPath "$case/src/a.txt" -Destination "$case/one.txt" -Update -PassThru | Should -BeNullOrEmpty
        Get-Inode "$case/one.txt" | Should -Be $inode
        touch "$case/src/a.txt"
        (Copy-SpliceItem -LiteralPath "$case/src/a.txt" -Destination "$case/one.txt" -Update -PassThru).Name | Should -Be 'one.txt'
        Get-Inode "$case/one.txt" | Should -Not -Be $inode
    }
}

Describe 'Copy-SpliceItem -NoClobber, as rsync --ignore-existing and cp -n' -Skip:(-not $hasRsync) {
    It 'never replaces what stands in the destination, whatever its time or size, and copies what is missing' {
        $case = New-Case
        foreach ($copy in 'into', 'rsync') {
            New-Item -ItemType Directory -Path "$case/$copy/src/sub" -Force | Out-Null
            Set-Content -LiteralPath "$case/$copy/src/a.txt" -Value 'mine, newer and longer'
            touch -d '2024-01-01' "$case/$copy/src/a.txt"
            Set-Content -LiteralPath "$case/$copy/src/sub/c.txt" -Value 'x'
            touch -d '2019-01-01' "$case/$copy/src/sub/c.txt"
        }

        $summary = Copy-SpliceItem -LiteralPath "$case/src" -Destination "$case/into" -Recurse -NoClobber -Update -Summary
        rsync -a --ignore-existing "$case/src" "$case/rsync/"

        Get-Content -LiteralPath "$case/into/src/a.txt" | Should -Be 'mine, newer and longer'
        Get-Content -LiteralPath "$case/into/src/sub/c.txt" | Should -Be 'x'
        Get-Content -LiteralPath "$case/into/src/sub/deep/d.txt" | Should -Be 'delta'
        $summary.Skipped | Should -Be 2
        $summary.Copied | Should -Be 3
        Get-SyncSnapshot "$case/into/src" | Should -Be (Get-SyncSnapshot "$case/rsync/src")
    }

    It 'a named file that exists is left as it is, even a read-only one' {
        $case = New-Case
        Set-Content -LiteralPath "$case/ro.txt" -Value 'keep me'
        chmod 444 "$case/ro.txt"
        Copy-SpliceItem -LiteralPath "$case/src/a.txt" -Destination "$case/ro.txt" -NoClobber -ErrorAction Stop
        Get-Content -LiteralPath "$case/ro.txt" | Should -Be 'keep me'
    }
}

Describe 'Copy-SpliceItem -Mirror, as rsync -a --delete' -Skip:(-not $hasRsync) {
    It 'removes the files, links and directories the source does not have, and copies what differs' {
        $case = New-Case
        foreach ($copy in 'mirror', 'rmirror') {
            New-Item -ItemType Directory -Path "$case/$copy/gone/deeper", "$case/$copy/sub", "$case/$copy/a.txt/inner" -Force | Out-Null
            Set-Content -LiteralPath "$case/$copy/gone/deeper/x" -Value 'x'
            Set-Content -LiteralPath "$case/$copy/extra.txt" -Value 'extra'
            ln -s /nowhere "$case/$copy/deadlink"
            Set-Content -LiteralPath "$case/$copy/sub/stale" -Value 'stale'
            # A file where the source has a directory (a directory where it has a file is a.txt above).
            Set-Content -LiteralPath "$case/$copy/sub/deep" -Value 'a file where a directory goes'
        }

        $summary = Copy-SpliceItem -LiteralPath "$case/src" -Destination "$case/mirror" -Mirror -Summary
        rsync -a --delete "$case/src/" "$case/rmirror/"

        $summary.Failed | Should -Be 0
        $summary.Removed | Should -Be 9 -Because 'gone, gone/deeper, gone/deeper/x, extra.txt, deadlink, sub/stale, a.txt, a.txt/inner and the file sub/deep'
        Get-SyncSnapshot "$case/mirror" | Should -Be (Get-SyncSnapshot "$case/src")
        Get-SyncSnapshot "$case/mirror" | Should -Be (Get-SyncSnapshot "$case/rmirror")
    }

    It 'removes a link in the destination that points outside as a link: its target and what is in it are untouched' {
        $case = New-Case
        New-Item -ItemType Directory -Path "$case/outside/inner" -Force | Out-Null
        Set-Content -LiteralPath "$case/outside/precious" -Value 'precious'
        Set-Content -LiteralPath "$case/outside/inner/more" -Value 'more'
        $before = Get-SyncSnapshot "$case/outside"
        Copy-SpliceItem -LiteralPath "$case/src" -Destination "$case/mirror" -Mirror
        ln -s "$case/outside" "$case/mirror/tooutside"
        ln -s "$case/outside" "$case/mirror/sub/alsooutside"
        ln -s "$case/outside/precious" "$case/mirror/tofile"

        Copy-SpliceItem -LiteralPath "$case/src" -Destination "$case/mirror" -Mirror -ErrorAction Stop

        Test-Path -LiteralPath "$case/mirror/tooutside" | Should -BeFalse
        Test-Path -LiteralPath "$case/mirror/sub/alsooutside" | Should -BeFalse
        Test-Path -LiteralPath "$case/mirror/tofile" | Should -BeFalse
        Get-SyncSnapshot "$case/outside" | Should -Be $before
        Get-SyncSnapshot "$case/mirror" | Should -Be (Get-SyncSnapshot "$case/src")
    }

    It 'leaves alone what -Exclude names, in the source and in the destination, as rsync --delete --exclude does' {
        $case = New-Case
        New-Item -ItemType Directory -Path "$case/src/cache" | Out-Null
        Set-Content -LiteralPath "$case/src/cache/big" -Value 'not copied'
        Set-Content -LiteralPath "$case/src/notes.tmp" -Value 'not copied'
        foreach ($copy in 'mirror', 'rmirror') {
            New-Item -ItemType Directory -Path "$case/$copy/cache" -Force | Out-Null
            Set-Content -LiteralPath "$case/$copy/cache/local" -Value 'kept'
            Set-Content -LiteralPath "$case/$copy/sub.tmp" -Value 'kept'
            Set-Content -LiteralPath "$case/$copy/removed.txt" -Value 'removed'
            touch -d '2022-02-02' "$case/$copy/cache/local" "$case/$copy/sub.tmp" "$case/$copy/cache"
        }

        Copy-SpliceItem -LiteralPath "$case/src" -Destination "$case/mirror" -Mirror -Exclude 'cache', '*.tmp'
        rsync -a --delete --exclude=cache --exclude='*.tmp' "$case/src/" "$case/rmirror/"

        Get-Content -LiteralPath "$case/mirror/cache/local" | Should -Be 'kept'
        Test-Path -LiteralPath "$case/mirror/cache/big" | Should -BeFalse
        Test-Path -LiteralPath "$case/mirror/removed.txt" | Should -BeFalse
        Get-SyncSnapshot "$case/mirror" -NoDirectoryTimes | Should -Be (Get-SyncSnapshot "$case/rmirror" -NoDirectoryTimes)
    }

    It 'refuses -Container:$false, under which no destination directory is the copy of one source directory, before anything is copied or removed' {
        $case = New-Case
        Copy-SpliceItem -LiteralPath "$case/src" -Destination "$case/mirror" -Mirror
        Set-Content -LiteralPath "$case/mirror/extra.txt" -Value 'extra'
        $before = Get-SyncSnapshot "$case/mirror"
        { Copy-SpliceItem -LiteralPath "$case/src" -Destination "$case/mirror" -Mirror -Container:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'MirrorNeedsContainer,SpliceModule.Commands.CopySpliceItemCommand'
        Get-SyncSnapshot "$case/mirror" | Should -Be $before
    }

    It '-WhatIf lists each removal and changes nothing' {
        $case = New-Case
        Copy-SpliceItem -LiteralPath "$case/src" -Destination "$case/mirror" -Mirror
        Set-Content -LiteralPath "$case/mirror/extra.txt" -Value 'extra'
        New-Item -ItemType Directory -Path "$case/mirror/sub/olddir" | Out-Null
        Set-Content -LiteralPath "$case/mirror/sub/olddir/x" -Value 'x'
        $before = Get-SyncSnapshot "$case/mirror"

        $said = (Invoke-FreshPwsh -Script "Import-Module '$env:SPLICEMODULE_TEST_MODULE'; Copy-SpliceItem -LiteralPath '$case/src' -Destination '$case/mirror' -Mirror -WhatIf").Output -split "`n" | ForEach-Object TrimEnd

        $said | Should -Contain "What if: Performing the operation `"Remove File`" on target `"$case/mirror/extra.txt`"."
        $said | Should -Contain "What if: Performing the operation `"Remove Directory`" on target `"$case/mirror/sub/olddir`"."
        @($said | Where-Object { $_ -like '*Remove*' }).Count | Should -Be 2
        Get-SyncSnapshot "$case/mirror" | Should -Be $before
    }

    It '-Confirm asks before each removal; what is refused stays' {
        $case = New-Case
        Copy-SpliceItem -LiteralPath "$case/src" -Destination "$case/mirror" -Mirror
        Set-Content -LiteralPath "$case/mirror/keep.txt" -Value 'keep'
        Set-Content -LiteralPath "$case/mirror/zap.txt" -Value 'zap'

        # Yes to the copy, no to keep.txt, yes to zap.txt (removals are asked in name order).
        $said = Invoke-Answered "Copy-SpliceItem -LiteralPath '$case/src' -Destination '$case/mirror' -Mirror -Confirm" "Y`nN`nY`n"

        $said | Should -BeLike "*Remove File*$case/mirror/keep.txt*Remove File*$case/mirror/zap.txt*"
        Get-Content -LiteralPath "$case/mirror/keep.txt" | Should -Be 'keep'
        Test-Path -LiteralPath "$case/mirror/zap.txt" | Should -BeFalse
    }
}

Describe 'Copy-SpliceItem -Exclude inside a tree' -Skip:(-not $hasRsync) {
    It 'skips a whole directory whose name matches, as rsync --exclude does' {
        $case = New-Case
        New-Item -ItemType Directory -Path "$case/src/node_modules/pkg" -Force | Out-Null
        Set-Content -LiteralPath "$case/src/node_modules/pkg/index.js" -Value 'x'
        Set-Content -LiteralPath "$case/src/sub/node_modules" -Value 'a file of that name is left out too'

        Copy-Both $case @{ Exclude = 'node_modules' } -rsync '--exclude=node_modules'

        Test-Path -LiteralPath "$case/into/src/node_modules" | Should -BeFalse
        Test-Path -LiteralPath "$case/into/src/sub/node_modules" | Should -BeFalse
        Get-SyncSnapshot "$case/into/src" -NoDirectoryTimes | Should -Be (Get-SyncSnapshot "$case/rsync/src" -NoDirectoryTimes)
    }
}

Describe 'Copy-SpliceItem -Retry' {
    It 'copies a file whose destination is busy (a mount point: EBUSY) the first time, once it is free; without -Retry the error is EBUSY' {
        if (-not $isRoot) { Set-ItResult -Skipped -Because 'bind mounts need root'; return }
        $case = New-Case
        Set-Content -LiteralPath "$case/busy.txt" -Value 'old'
        Set-Content -LiteralPath "$case/over.txt" -Value 'mounted over'
        mount --bind "$case/over.txt" "$case/busy.txt"
        if ($LASTEXITCODE -ne 0) { Set-ItResult -Skipped -Because 'mount --bind is not allowed here'; return }
        $log = "$case/retry.log"
        $process = $null
        try {
            Copy-SpliceItem -LiteralPath "$case/src/a.txt" -Destination "$case/busy.txt" -ErrorVariable failed -ErrorAction SilentlyContinue
            $failed[0].Exception.ErrnoName | Should -Be 'EBUSY'

            $script = "Import-Module '$env:SPLICEMODULE_TEST_MODULE'; Copy-SpliceItem -LiteralPath '$case/src/a.txt' -Destination '$case/busy.txt' -Retry 100 -RetryDelay 0.2 -ErrorAction Stop *>&1 | Out-File -LiteralPath '$log'"
            $pwsh = Get-FreshPwshCommand
            $process = Start-Process $pwsh[0] -ArgumentList (@($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-Command', $script)) -PassThru
            # Free the name once the copy has failed at least once (said as a warning), then let it finish.
            $deadline = [DateTime]::UtcNow.AddSeconds(60)
            while (-not ((Test-Path -LiteralPath $log) -and (Get-Content -LiteralPath $log -Raw) -match 'EBUSY') -and [DateTime]::UtcNow -lt $deadline -and -not $process.HasExited) { Start-Sleep -Milliseconds 100 }
            umount "$case/busy.txt"
            $process.WaitForExit(60000) | Should -BeTrue
            $process.ExitCode | Should -Be 0
            Get-Content -LiteralPath "$case/busy.txt" | Should -Be 'alpha'
            Get-Content -LiteralPath $log -Raw | Should -Match 'EBUSY \(try 1 of 101\)'
        }
        finally {
            if ($process -and -not $process.HasExited) { $process.Kill() }
            if ((findmnt -n "$case/busy.txt") -ne $null) { umount "$case/busy.txt" }
        }
    }
}

Describe 'Copy-SpliceItem -Retry inside a tree' {
    It 'tries a busy file of a tree again while the others are copied; without -Retry only that file fails' {
        if (-not $isRoot) { Set-ItResult -Skipped -Because 'bind mounts need root'; return }
        $case = New-Case
        Copy-SpliceItem -LiteralPath "$case/src" -Destination "$case/into" -Recurse -ErrorAction Stop
        $busy = "$case/into/src/sub/c.txt"
        Set-Content -LiteralPath "$case/src/sub/c.txt" -Value 'changed since'
        Set-Content -LiteralPath "$case/over.txt" -Value 'mounted over'
        mount --bind "$case/over.txt" $busy
        if ($LASTEXITCODE -ne 0) { Set-ItResult -Skipped -Because 'mount --bind is not allowed here'; return }
        $log = "$case/retry.log"
        $process = $null
        try {
            Copy-SpliceItem -LiteralPath "$case/src" -Destination "$case/into" -Recurse -ErrorVariable failed -ErrorAction SilentlyContinue
            @($failed).Count | Should -Be 1
            $failed[0].Exception.ErrnoName | Should -Be 'EBUSY'
            $failed[0].TargetObject | Should -Be "$case/src/sub/c.txt"
            Get-Content -LiteralPath "$case/into/src/sub/deep/d.txt" | Should -Be (Get-Content -LiteralPath "$case/src/sub/deep/d.txt")

            $script = "Import-Module '$env:SPLICEMODULE_TEST_MODULE'; Copy-SpliceItem -LiteralPath '$case/src' -Destination '$case/into' -Recurse -Retry 100 -RetryDelay 0.2 -ErrorAction Stop *>&1 | Out-File -LiteralPath '$log'"
            $pwsh = Get-FreshPwshCommand
            $process = Start-Process $pwsh[0] -ArgumentList (@($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-Command', $script)) -PassThru
            $deadline = [DateTime]::UtcNow.AddSeconds(60)
            while (-not ((Test-Path -LiteralPath $log) -and (Get-Content -LiteralPath $log -Raw) -match 'EBUSY') -and [DateTime]::UtcNow -lt $deadline -and -not $process.HasExited) { Start-Sleep -Milliseconds 100 }
            umount $busy
            $process.WaitForExit(60000) | Should -BeTrue
            $process.ExitCode | Should -Be 0
            Get-Content -LiteralPath $busy | Should -Be 'changed since'
            Get-Content -LiteralPath $log -Raw | Should -Match 'EBUSY \(try 1 of 101\)'
            Get-ChildItem -LiteralPath "$case/into/src" -Recurse -Force -Name | Should -Not -Match '^\.|/\.' -Because 'no temporary file is left'
        }
        finally {
            if ($process -and -not $process.HasExited) { $process.Kill() }
            if ((findmnt -n $busy) -ne $null) { umount $busy }
        }
    }
}

Describe 'Copy-SpliceItem -Summary' {
    It 'emits one summary per call, after the items of -PassThru, shown on one line within 80 columns' {
        $case = New-Case
        $out = @(Get-ChildItem -LiteralPath "$case/src" -File | Copy-SpliceItem -Destination "$case/into" -PassThru -Summary)
        $out.Count | Should -Be 4 -Because 'a.txt, b.bin and link (followed, as Copy-Item does) come first'
        $out[-1] | Should -BeOfType SpliceModule.SpliceCopySummary
        $out[-1].Copied | Should -Be 3
        $out[-1].BytesCopied | Should -Be (2 * (Get-Item "$case/src/a.txt").Length + 200)
        $out[-1].Duration | Should -BeGreaterThan ([TimeSpan]::Zero)
        $lines = @(($out[-1] | Out-String -Width 80).Split("`n") | Where-Object { $_.Trim() })
        $lines.Count | Should -Be 3 -Because 'a header, a rule and one line'
        $lines | ForEach-Object { $_.TrimEnd().Length | Should -BeLessOrEqual 80 }
        $lines[2] | Should -Match '^\s*3\s+\d+ B\s+0\s+0\s+0\s+0\s+[\d.]+ m?s\s*$'
    }

    It 'is not emitted without -Summary, so scripts that count Copy-Item''s output are not broken' {
        $case = New-Case
        Copy-SpliceItem -LiteralPath "$case/src" -Destination "$case/into" -Recurse | Should -BeNullOrEmpty
        Copy-SpliceItem -LiteralPath "$case/src" -Destination "$case/mirror" -Mirror | Should -BeNullOrEmpty
    }

    It 'counts failures' {
        $case = New-Case
        $summary = Copy-SpliceItem -LiteralPath "$case/src/a.txt", "$case/src/sub" -Destination "$case/nowhere/at/all" -Summary -ErrorAction SilentlyContinue
        $summary.Failed | Should -Be 2
        $summary.Copied | Should -Be 0
    }
}
