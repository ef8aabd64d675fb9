# What the fast tree copy must keep: the tree cp -a makes (content, mode, times, symlink targets),
# nothing written outside the destination while its directories are swapped for symlinks, and a
# prompt stop on Ctrl+C during a copy of 100,000 files that leaves no temporary file, named or
# unnamed. The trees live on /dev/shm where there is one (thousands of files are made and removed).
BeforeAll {
    Import-Module $env:SPLICEMODULE_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'Support/FreshPwsh.psm1') -Force
    . (Join-Path $PSScriptRoot 'Support/ModuleRunspace.ps1')
    . (Join-Path $PSScriptRoot 'Support/UnnamedFiles.ps1')
    . (Join-Path $PSScriptRoot 'Support/BashProcess.ps1')
    $base = if (Test-Path -LiteralPath /dev/shm -PathType Container) { '/dev/shm' } else { [IO.Path]::GetTempPath() }
    $script:Work = Join-Path $base "splicemod14-$([guid]::NewGuid().ToString('N'))"
    $null = New-Item -ItemType Directory -Path $Work

    # Every entry below $Root as 'path|type|mode|size|mtime' (links: 'path|l|target'), sorted.
    function Get-TreeListing([string] $Root) {
        @(find $Root -mindepth 1 -not -type l -printf '%P|%y|%m|%s|%T@\n') + @(find $Root -mindepth 1 -type l -printf '%P|l|%l\n') | Sort-Object
    }

    # Every regular file below $Root as 'sha256  path', sorted.
    function Get-TreeContent([string] $Root) {
        @(bash -c "cd '$Root' && find . -type f -print0 | xargs -0 -r sha256sum") | Sort-Object
    }
}

AfterAll {
    if ($Work) { rm -rf -- $Work }
}

Describe 'A tree copy makes what cp -a makes' {
    BeforeAll {
        $script:Source = Join-Path $Work 'parity-src'
        bash -c @"
set -e
mkdir -p '$Source'/d1/deep '$Source'/d2 '$Source'/empty '$Source'/many
cd '$Source'
: > e600; : > e644; : > e755; : > e664; : > e400; chmod 600 e600; chmod 644 e644; chmod 755 e755; chmod 664 e664; chmod 400 e400
head -c 300 /dev/urandom > w666; head -c 300 /dev/urandom > r444; chmod 666 w666; chmod 444 r444
head -c 4096 /dev/urandom > d1/small.bin; chmod 640 d1/small.bin
head -c 1048576 /dev/urandom > d1/deep/large.bin
head -c 1000 /dev/urandom > d2/odd.bin; chmod 4755 d2/odd.bin
seq -f 'many/e%g' 600 | xargs touch
for n in `$(seq 40); do head -c `$((n * 97)) /dev/urandom > many/c`$n; done
ln -s d1/small.bin rel-link; ln -s /etc/hostname abs-link; ln -s nowhere/at/all dangling; ln -s d1 dir-link
chmod 750 d1; chmod 700 d1/deep; chmod 711 empty
find . -not -type l -exec touch -d '2001-02-03 04:05:06.123456789' {} +
touch -d '1999-12-31 23:59:58.5' many/e7 d1/deep; touch -d '2011-05-06 07:08:09.987654321' d1 .
"@
        if ($LASTEXITCODE) { throw 'Making the parity tree failed.' }
    }

    It 'gives the same content, modes, times and symlink targets as cp -a (default -Preserve Mode, Timestamps)' {
        $copy = Join-Path $Work 'parity-copy'
        $reference = Join-Path $Work 'parity-cp'
        cp -a -- $Source $reference
        $run = Invoke-FreshPwsh -TimeoutSeconds 120 -Script "`$ErrorActionPreference = 'Stop'; Import-Module '$env:SPLICEMODULE_TEST_MODULE'; Copy-SpliceItem -LiteralPath '$Source' -Destination '$copy' -Recurse"
        $run.ExitCode | Should -Be 0 -Because "$($run.Error)"
        $run.Error | Should -BeNullOrEmpty
        Get-TreeListing $copy | Should -Be @(Get-TreeListing $reference)
        Get-TreeContent $copy | Should -Be @(Get-TreeContent $reference)
        stat -c '%a %Y' -- $copy | Should -Be (stat -c '%a %Y' -- $reference)
        (Get-TreeListing $copy).Count | Should -Be (Get-TreeListing $Source).Count -Because 'every entry of the source is there'
        @(Get-ChildItem -LiteralPath $copy -Recurse -Force -Filter '*.splicetmp').Count | Should -Be 0
        @(Get-ChildItem -LiteralPath $Work -Force -Filter '*.splicetmp').Count | Should -Be 0 -Because 'the new tree took its name'
    }

    It 'with -PassThru, each item it writes stands at its path already (the new tree is not made under a hidden name)' {
        $copy = Join-Path $Work 'parity-passthru'
        $run = Invoke-FreshPwsh -TimeoutSeconds 120 -Script "`$ErrorActionPreference = 'Stop'; Import-Module '$env:SPLICEMODULE_TEST_MODULE'; Copy-SpliceItem -LiteralPath '$Source' -Destination '$copy' -Recurse -PassThru | ForEach-Object { '{0}|{1}' -f (Test-Path -LiteralPath `$_.FullName), `$_.FullName }"
        $run.ExitCode | Should -Be 0 -Because "$($run.Error)"
        $said = @($run.Output -split "`n" | Where-Object { $_ })
        $said.Count | Should -BeGreaterOrEqual (Get-TreeListing $Source).Count -Because 'every item is written out'
        @($said | Where-Object { -not $_.StartsWith('True|') }) | Should -BeNullOrEmpty
        Get-TreeListing $copy | Should -Be @(Get-TreeListing $Source)
    }
}

Describe 'A tree copy reads by size only where sizes are true' {
    # Files on tmpfs and disks are copied by their size (no call to find the end) and empty ones
    # are made without opening them; /proc files report size 0 and have content, so there the
    # copy reads to the end, also for a /proc file bind-mounted into a tmpfs tree.
    It 'copies a /proc directory of files that report size 0 with their content' {
        $copy = Join-Path $Work 'proc-random'
        $run = Invoke-FreshPwsh -TimeoutSeconds 60 -Script "`$ErrorActionPreference = 'Stop'; Import-Module '$env:SPLICEMODULE_TEST_MODULE'; Copy-SpliceItem -LiteralPath /proc/sys/kernel/random -Destination '$copy' -Recurse"
        $run.ExitCode | Should -Be 0 -Because "$($run.Error)"
        foreach ($name in 'boot_id', 'poolsize', 'write_wakeup_threshold') {
            (Get-Item -LiteralPath (Join-Path $copy $name)).Length | Should -BeGreaterThan 0 -Because "/proc/sys/kernel/random/$name has content"
        }

        Get-Content -Raw -LiteralPath (Join-Path $copy 'boot_id') | Should -Be (Get-Content -Raw /proc/sys/kernel/random/boot_id)
    }

    It 'reads a /proc file bind-mounted into a tmpfs tree to its end, and the tmpfs files by their size' {
        if (-not [Environment]::IsPrivilegedProcess) { Set-ItResult -Skipped -Because 'a bind mount needs root'; return }
        $source = Join-Path $Work 'bound-src'
        $copy = Join-Path $Work 'bound-copy'
        bash -c "set -e; mkdir -p '$source/d'; : > '$source/d/empty'; : > '$source/d/version'; head -c 70000 /dev/urandom > '$source/d/data'; printf x > '$source/d/one'"
        mount --bind /proc/version (Join-Path $source 'd/version')
        try {
            $run = Invoke-FreshPwsh -TimeoutSeconds 60 -Script "`$ErrorActionPreference = 'Stop'; Import-Module '$env:SPLICEMODULE_TEST_MODULE'; Copy-SpliceItem -LiteralPath '$source' -Destination '$copy' -Recurse"
            $run.ExitCode | Should -Be 0 -Because "$($run.Error)"
            Get-Content -Raw -LiteralPath (Join-Path $copy 'd/version') | Should -Be (Get-Content -Raw /proc/version)
        }
        finally {
            umount (Join-Path $source 'd/version')
        }

        foreach ($name in 'empty', 'data', 'one') {
            (Get-FileHash -LiteralPath (Join-Path $copy "d/$name")).Hash | Should -Be (Get-FileHash -LiteralPath (Join-Path $source "d/$name")).Hash
        }
    }
}

Describe 'A directory of thousands of entries, looked at by several threads in pieces' {
    # The walk looks at a large directory's names in pieces on every worker; what it plans must
    # be what one thread plans: every entry, each as its kind, in the same order for -Mirror.
    BeforeAll {
        $script:Wide = Join-Path $Work 'wide-src'
        bash -c @"
set -e
mkdir -p '$Wide'; cd '$Wide'
seq -f 'e%05g' 3000 | xargs touch
for n in `$(seq 1500); do printf '%s' "content `$n" > c`$(printf %05d `$n); done
for n in `$(seq 300); do ln -s c`$(printf %05d `$n) l`$(printf %05d `$n); done
for n in `$(seq 200); do mkdir d`$(printf %05d `$n); printf x > d`$(printf %05d `$n)/inside; done
mkfifo pipe; chmod 640 e00007 c00009; touch -d '2001-02-03 04:05:06' e00011 c00013
"@
        if ($LASTEXITCODE) { throw 'Making the wide tree failed.' }
    }

    It 'copies every entry as cp -a does, with <Workers> (the walk is the same on one thread)' -ForEach @(
        @{ Workers = 'the default workers'; Throttle = 64 }
        @{ Workers = 'one worker'; Throttle = 1 }
    ) {
        $copy = Join-Path $Work "wide-copy-$Throttle"
        $reference = Join-Path $Work 'wide-cp'
        if (-not (Test-Path -LiteralPath $reference)) { cp -a -- $Wide $reference }
        $run = Invoke-FreshPwsh -TimeoutSeconds 120 -Script "`$ErrorActionPreference = 'Stop'; Import-Module '$env:SPLICEMODULE_TEST_MODULE'; Copy-SpliceItem -LiteralPath '$Wide' -Destination '$copy' -Recurse -ThrottleLimit $Throttle"
        $run.ExitCode | Should -Be 0 -Because "$($run.Error)"
        $listing = @(Get-TreeListing $copy)
        $listing.Count | Should -Be 5201
        $listing | Should -Be @(Get-TreeListing $reference)
        Get-TreeContent $copy | Should -Be @(Get-TreeContent $reference)
    }

    It 'takes only the names -Filter accepts from every piece' {
        $copy = Join-Path $Work 'wide-filtered'
        $run = Invoke-FreshPwsh -TimeoutSeconds 120 -Script "`$ErrorActionPreference = 'Stop'; Import-Module '$env:SPLICEMODULE_TEST_MODULE'; Copy-SpliceItem -LiteralPath '$Wide' -Destination '$copy' -Recurse -Filter 'c0*'"
        $run.ExitCode | Should -Be 0 -Because "$($run.Error)"
        @(Get-ChildItem -LiteralPath $copy -File).Count | Should -Be 1500
        @(Get-ChildItem -LiteralPath $copy -File | Where-Object Name -NotLike 'c0*').Count | Should -Be 0
    }

    It '-Mirror leaves the unchanged entries of every piece and removes only what the source lacks' {
        $mirror = Join-Path $Work 'wide-mirror'
        cp -a -- $Wide $mirror
        bash -c "set -e; cd '$mirror'; : > extra-a; : > e00007x; : > zz-last; rm c01000; printf changed > c01001"
        $run = Invoke-FreshPwsh -TimeoutSeconds 120 -Script "`$ErrorActionPreference = 'Stop'; Import-Module '$env:SPLICEMODULE_TEST_MODULE'; Copy-SpliceItem -LiteralPath '$Wide' -Destination '$mirror' -Mirror"
        $run.ExitCode | Should -Be 0 -Because "$($run.Error)"
        Get-TreeListing $mirror | Should -Be @(Get-TreeListing $Wide)
        Get-TreeContent $mirror | Should -Be @(Get-TreeContent $Wide)
    }
}

Describe 'A tree copy while a directory of its destination is swapped for a symlink in a loop' {
    BeforeAll {
        $script:Source = Join-Path $Work 'swap-src'
        $script:Outside = Join-Path $Work 'swap-outside'
        # 40 directories of 150 small files; outside holds directories of the same names, so
        # writes that followed a link would land there.
        bash -c "set -e; mkdir '$Source' '$Outside'; cd '$Source'; for d in `$(seq 40); do mkdir d`$d; mkdir '$Outside'/d`$d; seq -f d`$d/f%g 150 | while read -r f; do echo `$f > `$f; done; done"
        if ($LASTEXITCODE) { throw 'Making the swap tree failed.' }
        $script:OutsideBefore = @(find $Outside -printf '%P|%y|%m|%s\n' | Sort-Object)
    }

    It 'writes nothing outside the destination (the swapped directories may be reported as errors)' {
        $copy = Join-Path $Work 'swap-copy'
        # Each destination directory that exists and is not yet a link becomes a link to its twin
        # outside: in the new tree while it has its hidden name, and once it has its own.
        $ready = Join-Path $Work 'swap-racer-ready'
        $racer = Start-Bash ": > '$ready'; end=`$((SECONDS + 60)); while [ `$SECONDS -lt `$end ]; do for top in '$copy' '$Work'/.swap-copy.*.splicetmp; do for n in `$(seq 40); do d=`$top/d`$n; if [ -d `"`$d`" ] && [ ! -L `"`$d`" ]; then mv -- `"`$d`" `"`$d.moved`" 2>/dev/null && ln -s -- '$Outside'/d`$n `"`$d`"; fi; done; done; done"
        try {
            # The copy of these 6,000 files takes about half a second: it starts only once the
            # racer runs, or it may be over before bash has started.
            $waited = [Diagnostics.Stopwatch]::StartNew()
            while (-not (Test-Path -LiteralPath $ready) -and $waited.Elapsed.TotalSeconds -lt 10) { Start-Sleep -Milliseconds 20 }
            $run = Invoke-Stoppable -RunSeconds 60 -Script { param($s, $d) Copy-SpliceItem -LiteralPath $s -Destination $d -Recurse -ErrorAction Continue } -ArgumentList $Source, $copy
        }
        finally { Stop-Bash $racer }
        $run.Finished | Should -BeTrue -Because 'the copy ends by itself, errors or not'
        Write-Host "    ($($run.Errors.Count) errors under the swaps: $(@($run.Errors | ForEach-Object { $_.FullyQualifiedErrorId.Split(',')[0] } | Sort-Object -Unique) -join ', '))"
        @(find $copy -maxdepth 1 -type l).Count | Should -BeGreaterThan 0 -Because 'the racer swapped directories of the destination'
        @(find $Outside -printf '%P|%y|%m|%s\n' | Sort-Object) | Should -Be $OutsideBefore
        @(find $copy -name '*.splicetmp') | Should -BeNullOrEmpty
        (Get-UnnamedFile $copy).Count | Should -Be 0
    }

    It 'twin: without the racer the copy is the tree, without an error' {
        $copy = Join-Path $Work 'swap-twin'
        $run = Invoke-Stoppable -RunSeconds 60 -Script { param($s, $d) Copy-SpliceItem -LiteralPath $s -Destination $d -Recurse } -ArgumentList $Source, $copy
        $run.Finished | Should -BeTrue
        $run.Errors | Should -BeNullOrEmpty
        Get-TreeContent $copy | Should -Be @(Get-TreeContent $Source)
    }
}

Describe 'Ctrl+C during a copy of 100,000 files' {
    BeforeAll {
        $script:Source = Join-Path $Work 'stop-src'
        # 100,000 files in one directory, one in ten with content (so that unnamed files are in flight).
        bash -c "set -e; mkdir '$Source'; cd '$Source'; seq -f e%g 100000 | xargs touch; for n in `$(seq 0 10 99990); do echo `$n > e`$n; done"
        if ($LASTEXITCODE) { throw 'Making the 100,000 files failed.' }
    }

    It 'returns within a generous bound and leaves no temporary file, named or unnamed' {
        $copy = Join-Path $Work 'stop-copy'
        $ps = New-ModuleShell
        try {
            $null = $ps.AddScript({ param($s, $d) Copy-SpliceItem -LiteralPath $s -Destination $d -Recurse }).AddArgument($Source).AddArgument($copy)
            $async = $ps.BeginInvoke()
            # Stop once the copy is under way: some files are in place in the new tree, which
            # has a hidden name beside the destination until the copy ends.
            $deadline = [DateTime]::UtcNow.AddSeconds(60)
            $hidden = $null
            while (-not $async.IsCompleted -and [DateTime]::UtcNow -lt $deadline -and -not ($hidden -and [IO.Directory]::EnumerateFileSystemEntries($hidden).GetEnumerator().MoveNext())) {
                $hidden = @([IO.Directory]::GetDirectories($Work, '.stop-copy.*.splicetmp'))[0]
                Start-Sleep -Milliseconds 10
            }
            $async.IsCompleted | Should -BeFalse -Because 'the copy of 100,000 files is still running'
            $hidden | Should -Not -BeNullOrEmpty -Because 'a new tree is made under a hidden name'
            Test-Path -LiteralPath $copy | Should -BeFalse -Because 'nothing of the copy stands at its final path before it ends'
            $ps.BeginStop($null, $null).AsyncWaitHandle.WaitOne(10000) | Should -BeTrue -Because 'Ctrl+C stops the copy'
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
        }
        finally { if ($ps.InvocationStateInfo.State -notin 'Running', 'Stopping') { $ps.Dispose() } }
        Test-Path -LiteralPath $copy -PathType Container | Should -BeTrue -Because 'what was copied is put in place when the copy stops'
        [int](bash -c "find '$copy' -mindepth 1 | wc -l") | Should -BeLessThan 100000 -Because 'the copy was stopped before its end'
        @(find $Work -maxdepth 1 -name '*.splicetmp') | Should -BeNullOrEmpty -Because 'the hidden name is gone'
        @(find $copy -name '*.splicetmp') | Should -BeNullOrEmpty
        # Files e0, e10, ... e99990 hold their number: none in place is empty or half-written.
        @(bash -c "cd '$copy' && find . -name 'e*0' ! -name e100000 -size -1c; find . -name 'e*0' ! -name e100000 -print0 | xargs -0 -r awk 'FNR == 1 && `$0 != substr(FILENAME, 4) { print FILENAME }'") | Should -BeNullOrEmpty -Because 'every file in place is complete'
        (Get-UnnamedFile $copy).Count | Should -Be 0
        stat -c '%a' -- $copy | Should -Be (stat -c '%a' -- $Source) -Because 'a stopped copy gets its directories'' modes all the same'
    }
}

Describe 'A copy killed with SIGKILL leaves its hidden tree; the next copy to the same destination removes it' {
    BeforeAll {
        $script:Source = Join-Path $Work 'kill-src'
        bash -c "set -e; mkdir -p '$Source/d'; cd '$Source/d'; seq -f e%g 100000 | xargs touch; for n in `$(seq 0 10 99990); do echo `$n > e`$n; done; echo one > one"
        if ($LASTEXITCODE) { throw 'Making the 100,000 files failed.' }
        $script:Pwsh = (Get-FreshPwshCommand) -join ' '
    }

    It 'kill -9 mid-copy, then the same copy again: one whole tree, no hidden directory left' {
        $copy = Join-Path $Work 'kill-copy'
        $killed = Start-Bash "NO_COLOR=1 exec $Pwsh -NoProfile -NonInteractive -Command `"Import-Module '$env:SPLICEMODULE_TEST_MODULE'; Copy-SpliceItem -LiteralPath '$Source' -Destination '$copy' -Recurse`""
        try {
            $deadline = [DateTime]::UtcNow.AddSeconds(60)
            $hidden = $null
            while (-not $killed.HasExited -and [DateTime]::UtcNow -lt $deadline -and -not ($hidden -and (Test-Path -LiteralPath (Join-Path $hidden 'd')))) {
                $hidden = @([IO.Directory]::GetDirectories($Work, '.kill-copy.*.splicetmp'))[0]
                Start-Sleep -Milliseconds 5
            }

            # Killed as soon as its one subdirectory exists: tmpfs lists newest first, so a file
            # such as e1 would be among the last made, and the copy could end before the kill.
            $killed.HasExited | Should -BeFalse -Because 'the copy of 100,000 files is still running'
            $killed.Kill()
            $killed.WaitForExit()
        }
        finally { Stop-Bash $killed }

        @([IO.Directory]::GetDirectories($Work, '.kill-copy.*.splicetmp')).Count | Should -Be 1 -Because 'SIGKILL leaves the hidden tree'
        stat -c '%a' -- $hidden | Should -Be '700' -Because 'the copy was killed before its end, where the top gets its mode'
        Test-Path -LiteralPath $copy | Should -BeFalse
        # A hidden directory of the same pattern that a living copy holds (its lock) is left alone.
        $held = Join-Path $Work '.kill-copy.0123456789ab.splicetmp'
        $null = New-Item -ItemType Directory -Path $held
        chmod 700 $held
        $holder = Start-Bash "exec flock '$held' sleep 60"
        try {
            $deadline = [DateTime]::UtcNow.AddSeconds(10)
            while ([DateTime]::UtcNow -lt $deadline -and (bash -c "flock -n '$held' true && echo free") -eq 'free') { Start-Sleep -Milliseconds 10 }
            $run = Invoke-FreshPwsh -TimeoutSeconds 120 -Script "`$ErrorActionPreference = 'Stop'; Import-Module '$env:SPLICEMODULE_TEST_MODULE'; Copy-SpliceItem -LiteralPath '$Source' -Destination '$copy' -Recurse"
            $run.ExitCode | Should -Be 0 -Because "$($run.Error)"
            Test-Path -LiteralPath $held | Should -BeTrue -Because 'a locked hidden directory belongs to a copy still running'
        }
        finally { Stop-Bash $holder }

        @([IO.Directory]::GetDirectories($Work, '.kill-copy.*.splicetmp')) | Should -Be @($held) -Because 'the killed copy''s hidden tree is gone'
        rmdir -- $held
        [int](bash -c "find '$copy' -mindepth 1 | wc -l") | Should -Be ([int](bash -c "find '$Source' -mindepth 1 | wc -l"))
        Get-Content -LiteralPath (Join-Path $copy 'd/one') | Should -Be 'one'
    }
}

Describe 'A tree nested deeper than a path can name' {
    It 'copies it down to PATH_MAX as cp -a does, and fails the level below with ENAMETOOLONG' {
        # 25 levels of 250-character names: 6,300 bytes, deeper than the 4,096 a path can have.
        # Made with relative mkdir and cd, which have no such limit.
        $deep = Join-Path $Work 'deep'
        bash -c "mkdir '$deep' && cd '$deep' && echo top > top.txt && n=`$(printf 'd%.0s' `$(seq 250)) && for i in `$(seq 25); do mkdir `$n && cd `$n && echo `$i > f.txt; done"
        $LASTEXITCODE | Should -Be 0
        $ours = Join-Path $Work 'deep-ours'
        $theirs = Join-Path $Work 'deep-cp'
        cp -a -- $deep $theirs 2>$null
        $LASTEXITCODE | Should -Not -Be 0 -Because 'cp -a stops at PATH_MAX too'

        Copy-SpliceItem -LiteralPath $deep -Destination $ours -Recurse -ErrorVariable failed -ErrorAction SilentlyContinue

        @($failed).Count | Should -Be 1
        $failed[0].FullyQualifiedErrorId | Should -Be 'SystemCallFailed,SpliceModule.Commands.CopySpliceItemCommand'
        $failed[0].Exception.Message | Should -Match 'ENAMETOOLONG'
        $levels = [int](bash -c "find '$ours' -name f.txt | wc -l")
        $levels | Should -Be ([int](bash -c "find '$theirs' -name f.txt | wc -l")) -Because 'both stop at the same depth'
        $levels | Should -BeGreaterThan 10
        bash -c "rm -rf '$deep' '$ours' '$theirs'"
    }
}
