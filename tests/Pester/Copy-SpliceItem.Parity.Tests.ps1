# Copy-SpliceItem at parity with Copy-Item and cp: trees, symlinks, sparse files, metadata,
# never half a file, special sources. Each test works on real files under $TestDrive.
BeforeDiscovery {
    $isRoot = (id -u) -eq '0'
}

BeforeAll {
    Import-Module $env:SPLICEMODULE_TEST_MODULE -Force
    $script:isRoot = (id -u) -eq '0'
    $script:Id = { param($name) "$name,SpliceModule.Commands.CopySpliceItemCommand" }

    function New-Tree([string] $root) {
        New-Item -ItemType Directory -Path "$root/sub/deep" -Force | Out-Null
        Set-Content -LiteralPath "$root/a.txt" -Value 'alpha'
        Set-Content -LiteralPath "$root/sub/b.log" -Value 'bravo'
        Set-Content -LiteralPath "$root/sub/c.txt" -Value 'charlie'
        Set-Content -LiteralPath "$root/sub/deep/d.txt" -Value 'delta'
    }

    # Relative names under a directory, sorted, '/'-separated.
    function Get-TreeNames([string] $root) {
        if (-not (Test-Path -LiteralPath $root)) { return @() }
        @(Get-ChildItem -LiteralPath $root -Recurse -Force -Name | ForEach-Object { $_ -replace '\\', '/' } | Sort-Object)
    }

    function Get-Stat([string] $format, [string] $path) { (stat -c $format -- $path) }

    . (Join-Path $PSScriptRoot 'Support/BashProcess.ps1')
    . (Join-Path $PSScriptRoot 'Support/ModuleRunspace.ps1')
    . (Join-Path $PSScriptRoot 'Support/UnnamedFiles.ps1')
}

Describe 'Copy-SpliceItem directories, as Copy-Item copies them' {
    BeforeEach {
        $src = Join-Path $TestDrive "src$([guid]::NewGuid().ToString('n'))"
        New-Tree $src
        $work = Join-Path $TestDrive "work$([guid]::NewGuid().ToString('n'))"
        New-Item -ItemType Directory -Path $work | Out-Null
    }

    It 'makes an empty directory when -Recurse is not given' {
        Copy-SpliceItem -LiteralPath $src -Destination "$work/copy"
        Test-Path -LiteralPath "$work/copy" -PathType Container | Should -BeTrue
        Get-TreeNames "$work/copy" | Should -BeNullOrEmpty
    }

    It 'copies the tree as the missing destination with -Recurse' {
        Copy-SpliceItem -LiteralPath $src -Destination "$work/copy" -Recurse
        Get-TreeNames "$work/copy" | Should -Be (Get-TreeNames $src)
        Get-Content -LiteralPath "$work/copy/sub/deep/d.txt" | Should -Be 'delta'
    }

    It 'nests the tree inside an existing destination directory' {
        Copy-SpliceItem -LiteralPath $src -Destination $work -Recurse
        $name = Split-Path $src -Leaf
        Get-TreeNames (Join-Path $work $name) | Should -Be (Get-TreeNames $src)
    }

    It 'merges into an existing copy and overwrites the files there' {
        Copy-SpliceItem -LiteralPath $src -Destination "$work/copy" -Recurse
        Set-Content -LiteralPath "$work/copy/sub/c.txt" -Value 'stale'
        Set-Content -LiteralPath "$src/sub/c.txt" -Value 'fresh'
        Copy-SpliceItem -LiteralPath $src -Destination $work -Recurse -ErrorAction Stop
        Copy-SpliceItem -LiteralPath "$src/sub" -Destination "$work/copy" -Recurse -ErrorAction Stop
        Get-Content -LiteralPath "$work/copy/sub/c.txt" | Should -Be 'fresh'
    }

    It 'copies only matching files with -Filter but makes every directory' {
        Copy-SpliceItem -LiteralPath $src -Destination "$work/copy" -Recurse -Filter '*.txt'
        Get-TreeNames "$work/copy" | Should -Be @('a.txt', 'sub', 'sub/c.txt', 'sub/deep', 'sub/deep/d.txt')
    }

    It 'leaves out files matching -Exclude at every level' {
        Copy-SpliceItem -LiteralPath $src -Destination "$work/copy" -Recurse -Exclude '*.log'
        Get-TreeNames "$work/copy" | Should -Not -Contain 'sub/b.log'
        Get-TreeNames "$work/copy" | Should -Contain 'sub/c.txt'
    }

    It 'applies -Include and -Exclude to the named items, as Copy-Item does' {
        Copy-SpliceItem -LiteralPath $src -Destination "$work/none" -Recurse -Include '*.zzz'
        Test-Path "$work/none" | Should -BeFalse
        Copy-SpliceItem -LiteralPath $src -Destination "$work/excluded" -Recurse -Exclude (Split-Path $src -Leaf)
        Test-Path "$work/excluded" | Should -BeFalse
        Copy-SpliceItem -Path "$src/*" -Destination $work -Include '*.txt'
        Get-TreeNames $work | Should -Be @('a.txt')
    }

    It 'puts every file directly in the destination with -Container:$false' {
        Copy-SpliceItem -LiteralPath $src -Destination "$work/flat" -Recurse -Container:$false
        foreach ($name in 'a.txt', 'b.log', 'c.txt', 'd.txt') { Test-Path -LiteralPath "$work/flat/$name" -PathType Leaf | Should -BeTrue }
        Test-Path "$work/flat/sub/c.txt" | Should -BeFalse
    }

    It 'refuses to copy a directory onto a file' {
        Set-Content -LiteralPath "$work/file" -Value 'keep'
        Copy-SpliceItem -LiteralPath $src -Destination "$work/file" -Recurse -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be (& $Id 'DirectoryOntoFile')
        Get-Content -LiteralPath "$work/file" | Should -Be 'keep'
        # The help names the id Copy-Item gives for the same case.
        Copy-Item -LiteralPath $src -Destination "$work/file" -Recurse -ErrorVariable theirs -ErrorAction SilentlyContinue
        $copyItemId = $theirs[0].FullyQualifiedErrorId.Split(',')[0]
        $copyItemId | Should -Be 'CopyContainerItemToLeafError'
        (Get-Content -Raw (Join-Path $PSScriptRoot '../../docs/Copy-SpliceItem.md')) -replace '\s+', ' ' | Should -Match ([regex]::Escape("``DirectoryOntoFile``: a directory onto an existing file (``Copy-Item``: ``$copyItemId``)"))
    }

    It 'refuses to copy a directory into itself' {
        Copy-SpliceItem -LiteralPath $src -Destination "$src/sub" -Recurse -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be (& $Id 'CopyError')
        $err[0].Exception.Message | Should -BeLike '*into itself*'
        Test-Path "$src/sub/$(Split-Path $src -Leaf)" | Should -BeFalse
    }

    It 'reports a directory whose parent is missing' {
        Copy-SpliceItem -LiteralPath $src -Destination "$work/missing/copy" -Recurse -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be (& $Id 'DestinationDirectoryNotFound')
    }

    It 'copies the tree as a missing destination written "copy/", as Copy-Item and cp -r do; without -Recurse makes it empty' {
        Copy-SpliceItem -LiteralPath $src -Destination "$work/copy/" -Recurse
        Copy-SpliceItem -LiteralPath $src -Destination "$work/empty/"
        Get-TreeNames "$work/copy" | Should -Be (Get-TreeNames $src)
        Test-Path -LiteralPath "$work/empty" -PathType Container | Should -BeTrue
        Get-TreeNames "$work/empty" | Should -BeNullOrEmpty
        Copy-Item -LiteralPath $src -Destination "$work/by-copy-item/" -Recurse
        Get-TreeNames "$work/by-copy-item" | Should -Be (Get-TreeNames "$work/copy")
    }

    It 'copies [bracketed] names, named literally and met inside the tree' {
        $odd = Join-Path $TestDrive 'odd[1]'
        New-Item -ItemType Directory -Path "$odd/in[2]" -Force | Out-Null
        Set-Content -LiteralPath "$odd/in[2]/f[3].txt" -Value 'bracketed'
        Copy-SpliceItem -LiteralPath $odd -Destination "$work/copy[9]" -Recurse -ErrorAction Stop
        Get-Content -LiteralPath "$work/copy[9]/in[2]/f[3].txt" | Should -Be 'bracketed'
    }

    It 'writes the copied items with -PassThru, files with their copy method' {
        $items = @(Copy-SpliceItem -LiteralPath $src -Destination "$work/copy" -Recurse -PassThru)
        $items.Count | Should -Be 7
        $file = $items | Where-Object Name -EQ 'd.txt'
        $file.CopyMethod | Should -Not -BeNullOrEmpty
        $file.PSPath | Should -Match 'FileSystem::'
        ($items | Where-Object { $_ -is [IO.DirectoryInfo] }).Count | Should -Be 3
    }

    It 'creates nothing with -WhatIf' {
        Invoke-WhatIf { param($s, $d) Copy-SpliceItem -LiteralPath $s -Destination $d -Recurse -WhatIf } $src, "$work/copy" | Out-Null
        Test-Path "$work/copy" | Should -BeFalse
    }

    It 'copies the same tree with -ThrottleLimit 3' {
        1..40 | ForEach-Object { Set-Content -LiteralPath "$src/sub/f$_.txt" -Value "file $_" }
        Copy-SpliceItem -LiteralPath $src -Destination "$work/copy" -Recurse -ThrottleLimit 3 -ErrorAction Stop
        Get-TreeNames "$work/copy" | Should -Be (Get-TreeNames $src)
        Get-Content -LiteralPath "$work/copy/sub/f37.txt" | Should -Be 'file 37'
    }

    It 'keeps directory modes and times, set after their contents' {
        chmod 750 "$src/sub"
        touch -d '2001-02-03 04:05:06.123456789' "$src/sub"
        Copy-SpliceItem -LiteralPath $src -Destination "$work/copy" -Recurse
        Get-Stat '%a %y' "$work/copy/sub" | Should -Be (Get-Stat '%a %y' "$src/sub")
    }
}

Describe 'Copy-SpliceItem on many files' {
    BeforeEach {
        $src = Join-Path $TestDrive "many$([guid]::NewGuid().ToString('n'))"
        foreach ($d in 'a', 'b', 'c') {
            New-Item -ItemType Directory -Path "$src/$d" -Force | Out-Null
            1..20 | ForEach-Object { Set-Content -LiteralPath "$src/$d/f$_.txt" -Value "$d $_" }
        }
        $work = Join-Path $TestDrive "work$([guid]::NewGuid().ToString('n'))"
        New-Item -ItemType Directory -Path $work | Out-Null
    }

    It 'copies with one worker per processor by default (-ThrottleLimit only caps it) and writes each item once, in the order they finish' {
        [SpliceModule.Commands.CopySpliceItemCommand]::new().ThrottleLimit | Should -Be 64
        $items = @(Copy-SpliceItem -LiteralPath $src -Destination "$work/copy" -Recurse -PassThru -ErrorAction Stop)
        $names = @($items | Where-Object FullName -NE "$work/copy" | ForEach-Object { $_.FullName.Substring("$work/copy".Length + 1) } | Sort-Object)
        $names | Should -Be @(Get-TreeNames $src)
        Get-Content -LiteralPath "$work/copy/c/f17.txt" | Should -Be 'c 17'
        @(Get-ChildItem -LiteralPath "$work/copy" -Recurse -Force -Filter '*.splicetmp').Count | Should -Be 0
    }

    It 'writes the items in the order of the tree with -ThrottleLimit 1' {
        $items = @(Copy-SpliceItem -LiteralPath $src -Destination "$work/copy" -Recurse -PassThru -ThrottleLimit 1 -ErrorAction Stop)
        $files = @($items | Where-Object { $_ -is [IO.FileInfo] } | ForEach-Object { $_.FullName.Substring("$work/copy".Length + 1) })
        $inOrder = [string[]](1..20 | ForEach-Object { "f$_.txt" })
        [Array]::Sort($inOrder, [StringComparer]::Ordinal)
        $files | Should -Be @(foreach ($d in 'a', 'b', 'c') { $inOrder | ForEach-Object { "$d/$_" } })
    }

    It 'treats a read-only file it made itself like any other when -Container:$false repeats a name' {
        Set-Content -LiteralPath "$src/a/same.txt" -Value 'first'
        Set-Content -LiteralPath "$src/b/same.txt" -Value 'second'
        chmod 444 "$src/a/same.txt"
        Copy-SpliceItem -LiteralPath $src -Destination "$work/flat" -Recurse -Container:$false -ThrottleLimit 1 -ErrorVariable err -ErrorAction SilentlyContinue
        if ($isRoot) {
            # Root may write it, so it is replaced, as cp and Copy-Item replace it.
            $err | Should -BeNullOrEmpty
            Get-Content -LiteralPath "$work/flat/same.txt" | Should -Be 'second'
        }
        else {
            @($err | ForEach-Object FullyQualifiedErrorId) | Should -Be @(& $Id 'DestinationReadOnly')
            Get-Content -LiteralPath "$work/flat/same.txt" | Should -Be 'first'
        }
    }

    It 'chooses the copy method per pair of file systems inside one tree (root)' -Skip:(-not $isRoot) {
        $into = "$work/$(Split-Path $src -Leaf)"
        New-Item -ItemType Directory -Path "$into/a" -Force | Out-Null
        mount -t tmpfs -o size=4m tmpfs "$into/a"
        try {
            $sameFs = (Copy-SpliceItem -LiteralPath "$src/b/f1.txt" -Destination "$work/alone.txt" -PassThru).CopyMethod
            $otherFs = (Copy-SpliceItem -LiteralPath "$src/a/f1.txt" -Destination "$into/a/probe.txt" -PassThru).CopyMethod
            if ($sameFs -eq $otherFs) {
                Set-ItResult -Skipped -Because "both file systems take $sameFs here, so the choice cannot show"
                return
            }
            # a/ (on the tmpfs) comes first and must not decide the method for b/ and c/.
            $items = @(Copy-SpliceItem -LiteralPath $src -Destination $work -Recurse -ThrottleLimit 1 -PassThru -ErrorAction Stop | Where-Object CopyMethod)
            @($items | Where-Object { $_.FullName -like "$into/a/*" } | ForEach-Object CopyMethod | Select-Object -Unique) | Should -Be @($otherFs)
            @($items | Where-Object { $_.FullName -like "$into/[bc]/*" } | ForEach-Object CopyMethod | Select-Object -Unique) | Should -Be @($sameFs)
        }
        finally {
            umount "$into/a"
        }
    }
}

Describe 'Copy-SpliceItem read-only destinations' {
    BeforeEach {
        $src = Join-Path $TestDrive 'ro-src.txt'
        $dst = Join-Path $TestDrive 'ro-dst.txt'
        Set-Content -LiteralPath $src -Value 'new'
        if (Test-Path $dst) { chmod 644 $dst; Remove-Item $dst -Force }
        Set-Content -LiteralPath $dst -Value 'old'
        chmod 444 $dst
    }

    It 'refuses a read-only file without -Force and leaves it (not root)' {
        if ($isRoot) { Set-ItResult -Skipped -Because 'root may write it and replaces it (Copy-SpliceItem.Replace.Tests.ps1 runs this refusal as a user)'; return }
        Copy-SpliceItem -LiteralPath $src -Destination $dst -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be (& $Id 'DestinationReadOnly')
        Get-Content -LiteralPath $dst | Should -Be 'old'
    }

    It 'replaces a read-only file without -Force as root, as cp does' -Skip:(-not $isRoot) {
        $byCp = Join-Path $TestDrive 'ro-cp.txt'
        Set-Content -LiteralPath $byCp -Value 'old'
        chmod 444 $byCp
        cp $src $byCp
        Copy-SpliceItem -LiteralPath $src -Destination $dst -ErrorAction Stop
        Get-Content -LiteralPath $dst | Should -Be (Get-Content -LiteralPath $byCp)
        Get-Stat '%a' $dst | Should -Be (Get-Stat '%a' $byCp) -Because 'the replaced file keeps its mode, as cp keeps it'
    }

    It 'replaces a read-only file with -Force' {
        Copy-SpliceItem -LiteralPath $src -Destination $dst -Force -ErrorAction Stop
        Get-Content -LiteralPath $dst | Should -Be 'new'
    }

    It 'replaces read-only files inside a tree with -Force' {
        $tree = Join-Path $TestDrive 'ro-tree'
        New-Item -ItemType Directory "$tree/in" -Force | Out-Null
        Set-Content -LiteralPath "$tree/in/f.txt" -Value 'new'
        Copy-SpliceItem -LiteralPath "$tree/in" -Destination "$TestDrive/ro-copy" -Recurse
        Set-Content -LiteralPath "$tree/in/f.txt" -Value 'newer'
        chmod 444 "$TestDrive/ro-copy/f.txt"
        if (-not $isRoot) {
            Copy-SpliceItem -LiteralPath "$tree/in" -Destination "$TestDrive/ro-copy" -Recurse -Container:$false -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].FullyQualifiedErrorId | Should -Be (& $Id 'DestinationReadOnly')
        }
        Copy-SpliceItem -LiteralPath "$tree/in" -Destination "$TestDrive/ro-copy" -Recurse -Container:$false -Force -ErrorAction Stop
        Get-Content -LiteralPath "$TestDrive/ro-copy/f.txt" | Should -Be 'newer'
    }
}

Describe 'Copy-SpliceItem symbolic links' {
    BeforeAll {
        $src = Join-Path $TestDrive 'links'
        New-Tree $src
        New-Item -ItemType SymbolicLink -Path "$src/rel-link" -Target 'a.txt' | Out-Null
        New-Item -ItemType SymbolicLink -Path "$src/abs-link" -Target "$src/sub/c.txt" | Out-Null
        New-Item -ItemType SymbolicLink -Path "$src/dir-link" -Target 'sub' | Out-Null
        ln -s 'nowhere' "$src/dangling"
    }

    It 'recreates links met while recursing, with the same targets' {
        Copy-SpliceItem -LiteralPath $src -Destination "$TestDrive/links-copy" -Recurse -ErrorAction Stop
        foreach ($name in 'rel-link', 'abs-link', 'dir-link', 'dangling') {
            Get-Stat '%F' "$TestDrive/links-copy/$name" | Should -Be 'symbolic link'
            (readlink "$TestDrive/links-copy/$name") | Should -Be (readlink "$src/$name")
        }
    }

    It 'follows a link named on the command line' {
        Copy-SpliceItem -LiteralPath "$src/rel-link" -Destination "$TestDrive/followed.txt"
        Get-Stat '%F' "$TestDrive/followed.txt" | Should -Be 'regular file'
        Get-Content "$TestDrive/followed.txt" | Should -Be 'alpha'
        Copy-SpliceItem -LiteralPath "$src/dir-link" -Destination "$TestDrive/followed-dir" -Recurse
        Get-Stat '%F' "$TestDrive/followed-dir" | Should -Be 'directory'
        Get-Content "$TestDrive/followed-dir/deep/d.txt" | Should -Be 'delta'
    }

    It 'follows every link with -FollowSymlink and keeps dangling ones as links' {
        Copy-SpliceItem -LiteralPath $src -Destination "$TestDrive/links-deref" -Recurse -FollowSymlink -ErrorAction Stop
        Get-Stat '%F' "$TestDrive/links-deref/abs-link" | Should -Be 'regular file'
        Get-Content "$TestDrive/links-deref/abs-link" | Should -Be 'charlie'
        Get-Stat '%F' "$TestDrive/links-deref/dir-link" | Should -Be 'directory'
        Get-Content "$TestDrive/links-deref/dir-link/deep/d.txt" | Should -Be 'delta'
        Get-Stat '%F' "$TestDrive/links-deref/dangling" | Should -Be 'symbolic link'
    }

    It 'detects a link loop with -FollowSymlink, reports it and copies the rest' {
        $loop = Join-Path $TestDrive 'loop'
        New-Item -ItemType Directory "$loop/inner" -Force | Out-Null
        Set-Content "$loop/inner/f.txt" 'f'
        ln -s '..' "$loop/inner/up"
        $ids = (Invoke-Bounded { param($from, $to) Copy-SpliceItem -LiteralPath $from -Destination $to -Recurse -FollowSymlink } @($loop, "$TestDrive/loop-copy")).Errors.FullyQualifiedErrorId
        $ids | Should -Contain (& $Id 'SymlinkLoop')
        Get-Content "$TestDrive/loop-copy/inner/f.txt" | Should -Be 'f'
    }

    It 'replaces a symlink standing at the destination instead of writing through it' {
        $victim = Join-Path $TestDrive 'victim.txt'
        Set-Content $victim 'untouched'
        ln -sf $victim "$TestDrive/trap"
        Set-Content "$TestDrive/payload.txt" 'payload'
        Copy-SpliceItem -LiteralPath "$TestDrive/payload.txt" -Destination "$TestDrive/trap"
        Get-Content $victim | Should -Be 'untouched'
        Get-Stat '%F' "$TestDrive/trap" | Should -Be 'regular file'
        Get-Content "$TestDrive/trap" | Should -Be 'payload'
    }

    It 'replaces a symlink inside the destination tree instead of writing through it' {
        $victim = Join-Path $TestDrive 'victim2.txt'
        Set-Content $victim 'untouched'
        $tree = Join-Path $TestDrive 'trap-src'
        New-Item -ItemType Directory $tree -Force | Out-Null
        Set-Content "$tree/f.txt" 'payload'
        New-Item -ItemType Directory "$TestDrive/trap-dst" -Force | Out-Null
        ln -s $victim "$TestDrive/trap-dst/f.txt"
        Copy-SpliceItem -LiteralPath $tree -Destination "$TestDrive/trap-dst" -Recurse -Container:$false -ErrorAction Stop
        Get-Content $victim | Should -Be 'untouched'
        Get-Content "$TestDrive/trap-dst/f.txt" | Should -Be 'payload'
    }

    It 'refuses a self-copy through a symlink and through a hard link' {
        $file = Join-Path $TestDrive 'self.txt'
        Set-Content $file 'self'
        ln -s $file "$TestDrive/self-link"
        ln $file "$TestDrive/self-hard"
        Copy-SpliceItem -LiteralPath $file -Destination "$TestDrive/self-link" -ErrorVariable e1 -ErrorAction SilentlyContinue
        Copy-SpliceItem -LiteralPath $file -Destination "$TestDrive/self-hard" -ErrorVariable e2 -ErrorAction SilentlyContinue
        $e1[0].FullyQualifiedErrorId | Should -Be (& $Id 'CopyError')
        $e2[0].FullyQualifiedErrorId | Should -Be (& $Id 'CopyError')
        Get-Content $file | Should -Be 'self'
    }
}

Describe 'Copy-SpliceItem sparse files' {
    It 'keeps holes: allocation like the source, content identical' {
        $sparse = Join-Path $TestDrive 'sparse.img'
        $fs = [IO.File]::Create($sparse)
        try {
            $data = [byte[]]::new(1MB); [Random]::new(7).NextBytes($data)
            $fs.Position = 16MB; $fs.Write($data, 0, $data.Length)
            $fs.Position = 100MB; $fs.Write($data, 0, $data.Length)
            $fs.SetLength(256MB)
        }
        finally { $fs.Dispose() }
        $copy = Copy-SpliceItem -LiteralPath $sparse -Destination "$TestDrive/sparse.copy" -PassThru
        $copy.Sparse | Should -BeTrue
        $copy.Length | Should -Be 256MB
        $copy.BytesCopied | Should -BeLessOrEqual 8MB
        [long](Get-Stat '%b' $copy.FullName) | Should -BeLessOrEqual ([long](Get-Stat '%b' $sparse) + 2048)
        (Get-FileHash $copy.FullName).Hash | Should -Be (Get-FileHash $sparse).Hash
    }

    It 'keeps a file of holes only as holes' {
        $holes = Join-Path $TestDrive 'holes.img'
        truncate -s 64M $holes
        $copy = Copy-SpliceItem -LiteralPath $holes -Destination "$TestDrive/holes.copy" -PassThru
        $copy.Length | Should -Be 64MB
        [long](Get-Stat '%b' $copy.FullName) | Should -Be 0
    }

    It 'copies data beyond 4 GiB in a sparse file' {
        $big = Join-Path $TestDrive 'big.img'
        truncate -s 5G $big
        $fs = [IO.File]::OpenWrite($big)
        try { $fs.Position = 4GB + 12345; $fs.Write([Text.Encoding]::ASCII.GetBytes('beyond 4 GiB'), 0, 12) } finally { $fs.Dispose() }
        $copy = Copy-SpliceItem -LiteralPath $big -Destination "$TestDrive/big.copy" -PassThru
        $copy.Length | Should -Be 5GB
        $fs = [IO.File]::OpenRead($copy.FullName)
        try { $fs.Position = 4GB + 12345; $buffer = [byte[]]::new(12); $null = $fs.Read($buffer, 0, 12) } finally { $fs.Dispose() }
        [Text.Encoding]::ASCII.GetString($buffer) | Should -Be 'beyond 4 GiB'
        Remove-Item $big, $copy.FullName
    }
}

Describe 'Copy-SpliceItem metadata' {
    BeforeEach {
        $src = Join-Path $TestDrive 'meta.txt'
        Set-Content $src 'meta'
        chmod 640 $src
        touch -d '2003-04-05 06:07:08.987654321' $src
    }

    It 'keeps mode and modification time to the nanosecond by default' {
        Copy-SpliceItem -LiteralPath $src -Destination "$TestDrive/meta.default"
        Get-Stat '%a %y' "$TestDrive/meta.default" | Should -Be (Get-Stat '%a %y' $src)
    }

    It 'keeps only what -Preserve names' {
        Copy-SpliceItem -LiteralPath $src -Destination "$TestDrive/meta.mode" -Preserve Mode
        Get-Stat '%a' "$TestDrive/meta.mode" | Should -Be '640'
        Get-Stat '%y' "$TestDrive/meta.mode" | Should -Not -Be (Get-Stat '%y' $src)
        Copy-SpliceItem -LiteralPath $src -Destination "$TestDrive/meta.none" -Preserve None
        Get-Stat '%a' "$TestDrive/meta.none" | Should -Be '600'
    }

    It 'copies extended attributes with -Preserve ExtendedAttributes' -Skip:(-not (Get-Command python3 -ErrorAction SilentlyContinue)) {
        python3 -c "import os,sys; os.setxattr(sys.argv[1], 'user.splice.test', b'xattr value')" $src
        if ($LASTEXITCODE -ne 0) { Set-ItResult -Skipped -Because 'this file system takes no user extended attributes' ; return }
        Copy-SpliceItem -LiteralPath $src -Destination "$TestDrive/meta.xattr" -Preserve Mode, Timestamps, ExtendedAttributes
        python3 -c "import os,sys; print(os.getxattr(sys.argv[1], 'user.splice.test').decode())" "$TestDrive/meta.xattr" | Should -Be 'xattr value'
        Copy-SpliceItem -LiteralPath $src -Destination "$TestDrive/meta.noxattr"
        python3 -c "import os,sys; print(len(os.listxattr(sys.argv[1])))" "$TestDrive/meta.noxattr" | Should -Be '0'
    }

    It 'keeps owner and group with -Preserve Ownership (root)' -Skip:(-not $isRoot) {
        chown 1234:5678 $src
        Copy-SpliceItem -LiteralPath $src -Destination "$TestDrive/meta.owner" -Preserve All
        Get-Stat '%u:%g %a' "$TestDrive/meta.owner" | Should -Be '1234:5678 640'
    }
}

Describe 'Copy-SpliceItem never leaves half a file' {
    It 'stops within seconds on Ctrl+C during a large copy, leaves no temporary file and keeps the old destination' {
        $dst = Join-Path $TestDrive 'ctrlc.dst'
        Set-Content $dst 'old destination'
        # A slow source: a FIFO fed by a writer that never finishes on its own.
        mkfifo "$TestDrive/ctrlc.fifo"
        $writer = Start-Bash "exec 3>'$TestDrive/ctrlc.fifo'; head -c 3G /dev/zero >&3 2>/dev/null"
        try {
            $ps = New-ModuleShell
            $null = $ps.AddScript({ param($s, $d) Copy-SpliceItem -LiteralPath $s -Destination $d }).
                AddArgument("$TestDrive/ctrlc.fifo").AddArgument($dst)
            $async = $ps.BeginInvoke()
            Wait-UnnamedFile $TestDrive
            Start-Sleep -Milliseconds 300
            $async.IsCompleted | Should -BeFalse -Because 'the writer is still writing'
            (Get-UnnamedFile $TestDrive).Count | Should -BeGreaterThan 0
            Get-ChildItem -LiteralPath $TestDrive -Force -Filter '*.splicetmp' | Should -BeNullOrEmpty
            $clock = [Diagnostics.Stopwatch]::StartNew()
            $stopped = $ps.BeginStop($null, $null)
            $stopped.AsyncWaitHandle.WaitOne(10000) | Should -BeTrue
            $clock.Elapsed.TotalSeconds | Should -BeLessThan 5
            $async.IsCompleted | Should -BeTrue
            $ps.Dispose()
        }
        finally { if (-not $writer.HasExited) { $writer.Kill($true) } }
        Get-ChildItem -LiteralPath $TestDrive -Force -Filter '*.splicetmp' | Should -BeNullOrEmpty
        (Get-UnnamedFile $TestDrive).Count | Should -Be 0
        Get-Content $dst | Should -Be 'old destination'
    }

    It 'stops within seconds on Ctrl+C during a multi-GiB file copy' {
        $big = Join-Path $TestDrive 'ctrlc-file.bin'
        $dst = Join-Path $TestDrive 'ctrlc-file.dst'
        fallocate -l 3G $big
        if ($LASTEXITCODE -ne 0) { Set-ItResult -Skipped -Because 'fallocate is not supported here'; return }
        Set-Content $dst 'old destination'
        $ps = New-ModuleShell
        $null = $ps.AddScript({ param($s, $d) Copy-SpliceItem -LiteralPath $s -Destination $d }).
            AddArgument($big).AddArgument($dst)
        $async = $ps.BeginInvoke()
        Wait-UnnamedFile $TestDrive
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $stopped = $ps.BeginStop($null, $null)
        $stopped.AsyncWaitHandle.WaitOne(10000) | Should -BeTrue
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 5
        $ps.Dispose()
        Get-ChildItem -LiteralPath $TestDrive -Force -Filter '*.splicetmp' | Should -BeNullOrEmpty
        (Get-UnnamedFile $TestDrive).Count | Should -Be 0
        (Get-Item $dst).Length | Should -BeLessThan 100 -Because 'the old destination stays'
        Get-Content $dst | Should -Be 'old destination'
        Remove-Item $big
    }

    It 'stops a tree copy on Ctrl+C, also with several files in flight' -ForEach @(@{ Throttle = 1 }, @{ Throttle = 3 }) {
        # One destination file of the tree is a FIFO nobody reads: the copy waits there until stopped.
        $tree = Join-Path $TestDrive "stop-tree-$Throttle"
        New-Item -ItemType Directory $tree | Out-Null
        1..8 | ForEach-Object { Set-Content "$tree/f$_.txt" "file $_" }
        $copy = Join-Path $TestDrive "stop-copy-$Throttle"
        New-Item -ItemType Directory $copy | Out-Null
        mkfifo "$copy/f4.txt"
        $ps = New-ModuleShell
        $null = $ps.AddScript({ param($s, $d, $t) Copy-SpliceItem -LiteralPath $s -Destination $d -Recurse -Container:$false -ThrottleLimit $t }).
            AddArgument($tree).AddArgument($copy).AddArgument($Throttle)
        $async = $ps.BeginInvoke()
        Start-Sleep -Milliseconds 1500
        $async.IsCompleted | Should -BeFalse -Because 'the FIFO has no reader'
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $ps.BeginStop($null, $null).AsyncWaitHandle.WaitOne(10000) | Should -BeTrue
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 5
        $ps.Dispose()
        Get-ChildItem -LiteralPath $copy -Force -Filter '*.splicetmp' | Should -BeNullOrEmpty
        Get-Stat '%F' "$copy/f4.txt" | Should -Be 'fifo'
    }

    Context 'a file system that fills up' {
        BeforeAll {
            $tiny = Join-Path $TestDrive 'tiny'
            New-Item -ItemType Directory $tiny | Out-Null
            if ($isRoot) { mount -t tmpfs -o size=1m tmpfs $tiny }
        }
        AfterAll {
            if ($isRoot) { umount $tiny }
        }

        It 'reports ENOSPC clearly and keeps the old destination (root)' -Skip:(-not $isRoot) {
            Set-Content -LiteralPath "$tiny/target.bin" -Value 'old destination'
            $big = Join-Path $TestDrive 'enospc.bin'
            [IO.File]::WriteAllBytes($big, [byte[]]::new(3MB))
            Copy-SpliceItem -LiteralPath $big -Destination "$tiny/target.bin" -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].FullyQualifiedErrorId | Should -Be (& $Id 'SystemCallFailed')
            $err[0].Exception.ErrnoName | Should -Be 'ENOSPC'
            $err[0].CategoryInfo.Category | Should -Be 'ResourceUnavailable'
            Get-Content -LiteralPath "$tiny/target.bin" | Should -Be 'old destination'
            Get-ChildItem -LiteralPath $tiny -Force -Filter '*.splicetmp' | Should -BeNullOrEmpty
        }
    }

    It 'flushes with -Sync and leaves the complete file' {
        $src = Join-Path $TestDrive 'sync.bin'
        [IO.File]::WriteAllBytes($src, [byte[]](1..255))
        Copy-SpliceItem -LiteralPath $src -Destination "$TestDrive/sync.copy" -Sync
        (Get-FileHash "$TestDrive/sync.copy").Hash | Should -Be (Get-FileHash $src).Hash
    }

    It 'writes into a FIFO destination in place' {
        mkfifo "$TestDrive/out.fifo"
        Set-Content "$TestDrive/fifo-src.txt" 'through the fifo'
        $reader = Start-Bash "cat '$TestDrive/out.fifo' > '$TestDrive/fifo-out.txt'"
        (Invoke-Bounded { param($s, $d) Copy-SpliceItem -LiteralPath $s -Destination $d } @("$TestDrive/fifo-src.txt", "$TestDrive/out.fifo")).Errors | Should -BeNullOrEmpty
        $reader.WaitForExit(10000) | Should -BeTrue
        Get-Content "$TestDrive/fifo-out.txt" | Should -Be 'through the fifo'
        Get-Stat '%F' "$TestDrive/out.fifo" | Should -Be 'fifo'
    }
}

Describe 'Copy-SpliceItem -Verify' {
    It 'verifies a good copy and reports its SHA-256' {
        $src = Join-Path $TestDrive 'verify.bin'
        [IO.File]::WriteAllBytes($src, [byte[]](0..255) * 1000)
        $copy = Copy-SpliceItem -LiteralPath $src -Destination "$TestDrive/verify.copy" -Verify -PassThru
        $copy.Sha256 | Should -Be (Get-FileHash $src -Algorithm SHA256).Hash
    }

    It 'reports a source that reads differently a second time and keeps the old destination' {
        $dst = Join-Path $TestDrive 'uuid.copy'
        Set-Content $dst 'old destination'
        Copy-SpliceItem -LiteralPath '/proc/sys/kernel/random/uuid' -Destination $dst -Verify -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be (& $Id 'VerifyMismatch')
        Get-Content $dst | Should -Be 'old destination'
        Get-ChildItem -LiteralPath $TestDrive -Force -Filter '*.splicetmp' | Should -BeNullOrEmpty
    }
}

Describe 'Copy-SpliceItem special sources and destinations' {
    It 'reads /proc and /sys files to the end' {
        $copy = Copy-SpliceItem -LiteralPath '/proc/self/mounts' -Destination "$TestDrive/mounts" -PassThru
        $copy.Length | Should -BeGreaterThan 0
        $sys = @('/sys/kernel/mm/transparent_hugepage/enabled', '/sys/class/net/lo/address', '/sys/kernel/uevent_seqnum') | Where-Object { Test-Path $_ } | Select-Object -First 1
        if ($sys) {
            (Copy-SpliceItem -LiteralPath $sys -Destination "$TestDrive/sysfile" -PassThru).Length | Should -BeGreaterThan 0
        }
    }

    It 'copies a FIFO until its writer closes' {
        mkfifo "$TestDrive/in.fifo"
        $writer = Start-Bash "sleep 0.3; printf 'from a fifo' > '$TestDrive/in.fifo'"
        try {
            (Invoke-Bounded { param($s, $d) Copy-SpliceItem -LiteralPath $s -Destination $d } @("$TestDrive/in.fifo", "$TestDrive/fifo.copy")).Errors | Should -BeNullOrEmpty
            Get-Content "$TestDrive/fifo.copy" | Should -Be 'from a fifo'
        }
        finally { if (-not $writer.WaitForExit(5000)) { $writer.Kill() } }
    }

    It 'refuses a socket with a clear error' {
        $path = Join-Path $TestDrive 's.sock'
        $socket = [Net.Sockets.Socket]::new([Net.Sockets.AddressFamily]::Unix, [Net.Sockets.SocketType]::Stream, [Net.Sockets.ProtocolType]::Unspecified)
        try {
            $socket.Bind([Net.Sockets.UnixDomainSocketEndPoint]::new($path))
            Copy-SpliceItem -LiteralPath $path -Destination "$TestDrive/socket.copy" -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].FullyQualifiedErrorId | Should -Be (& $Id 'SourceIsSocket')
            Test-Path "$TestDrive/socket.copy" | Should -BeFalse
        }
        finally { $socket.Dispose() }
    }

    It 'replaces a destination that another process holds open with O_APPEND' {
        $dst = Join-Path $TestDrive 'appended.log'
        Set-Content $dst 'old'
        Set-Content "$TestDrive/new.log" 'new content'
        $other = [IO.FileStream]::new($dst, [IO.FileMode]::Append, [IO.FileAccess]::Write, [IO.FileShare]::ReadWrite)
        try {
            Copy-SpliceItem -LiteralPath "$TestDrive/new.log" -Destination $dst -ErrorAction Stop
            $other.Write([byte[]](65, 66), 0, 2); $other.Flush()
        }
        finally { $other.Dispose() }
        Get-Content $dst | Should -Be 'new content'
    }

    It 'recreates FIFOs inside a tree instead of reading them' {
        New-Item -ItemType Directory "$TestDrive/fifo-tree" | Out-Null
        mkfifo "$TestDrive/fifo-tree/pipe"
        Copy-SpliceItem -LiteralPath "$TestDrive/fifo-tree" -Destination "$TestDrive/fifo-tree-copy" -Recurse
        Get-Stat '%F' "$TestDrive/fifo-tree-copy/pipe" | Should -Be 'fifo'
    }
}

Describe 'Copy-SpliceItem progress' {
    BeforeAll {
        # The slow FIFO writer and the progress checks are the pipeline cmdlets' own.
        . (Join-Path $PSScriptRoot 'Pipelines.Helpers.ps1')
        function Invoke-Copy([string] $preference, [string] $source, [string] $destination) {
            (Invoke-Bounded { param($p, $s, $d) $ProgressPreference = $p; Copy-SpliceItem -LiteralPath $s -Destination $d } @($preference, $source, $destination)).Progress
        }
    }

    It 'shows bytes and rate inside a long copy and always completes' {
        $writer = Start-SlowFifoWriter (New-Fifo "$TestDrive/slow.fifo")
        $records = Invoke-Copy 'Continue' "$TestDrive/slow.fifo" "$TestDrive/slow.copy"
        Wait-Peer $writer
        (Get-Item "$TestDrive/slow.copy").Length | Should -Be (30 * 65536)
        Assert-TransferProgress $records
    }

    It 'counts items and bytes across a tree and completes' {
        # The tree's one big file goes into a FIFO that a slow reader drains, so the copy lasts
        # long enough for progress to show whatever the machine's speed.
        $tree = Join-Path $TestDrive 'progress-tree'
        New-Item -ItemType Directory "$tree/in" -Force | Out-Null
        [IO.File]::WriteAllBytes("$tree/in/big.bin", [byte[]]::new(30 * 65536))
        Set-Content "$tree/small.txt" 'small'
        $fifo = "$TestDrive/progress-copy/progress-tree/in/big.bin"
        New-Item -ItemType Directory (Split-Path $fifo) -Force | Out-Null
        mkfifo $fifo
        $reader = Start-Bash "exec < '$fifo'; for i in `$(seq 40); do dd bs=65536 count=1 iflag=fullblock status=none > /dev/null; sleep 0.05; done; cat > /dev/null"
        $result = Invoke-Bounded { param($s, $d) $ProgressPreference = 'Continue'; Copy-SpliceItem -LiteralPath $s -Destination $d -Recurse } @($tree, "$TestDrive/progress-copy")
        $null = $reader.WaitForExit(10000)
        $result.Errors | Should -BeNullOrEmpty
        $records = $result.Progress
        $records.Count | Should -BeGreaterThan 1
        ($records | Where-Object StatusDescription -Match 'of 2 items').Count | Should -BeGreaterThan 0
        $records[-1].RecordType | Should -Be 'Completed'
        # Whichever worker copies the big file, progress names it, not the tree.
        $named = @($records | Where-Object RecordType -ne 'Completed' | ForEach-Object CurrentOperation)
        $named | Should -Not -Contain $tree
        $named | Should -Contain "$tree/in/big.bin"
    }

    It 'counts the files of one directory as each is done, not when the directory is' {
        # One worker copies the directory's three files in one go; each goes into a FIFO that a
        # slow reader drains, so progress shows while the second and third are copied.
        $tree = Join-Path $TestDrive 'items-tree'
        $copy = Join-Path $TestDrive 'items-copy/items-tree'
        New-Item -ItemType Directory $tree, $copy -Force | Out-Null
        $readers = foreach ($name in 'a.bin', 'b.bin', 'c.bin') {
            [IO.File]::WriteAllBytes("$tree/$name", [byte[]]::new(16 * 65536))
            mkfifo "$copy/$name"
            Start-Bash "exec < '$copy/$name'; for i in `$(seq 16); do dd bs=65536 count=1 iflag=fullblock status=none > /dev/null; sleep 0.05; done; cat > /dev/null"
        }
        $result = Invoke-Bounded { param($s, $d) $ProgressPreference = 'Continue'; Copy-SpliceItem -LiteralPath $s -Destination $d -Recurse -ThrottleLimit 1 } @($tree, (Split-Path $copy))
        foreach ($reader in $readers) { $null = $reader.WaitForExit(10000) }
        $result.Errors | Should -BeNullOrEmpty
        # Records from while files are still being copied (below 100%): once the directory is
        # done, its files are counted either way.
        $counts = @($result.Progress | Where-Object { $_.RecordType -ne 'Completed' -and $_.PercentComplete -lt 100 } | ForEach-Object StatusDescription)
        @($counts -match ', [12] of 3 items$').Count | Should -BeGreaterThan 0 -Because "progress while the later files are copied counts the earlier ones ($($counts -join '; '))"
    }

    It 'writes no progress when $ProgressPreference is SilentlyContinue' {
        $writer = Start-SlowFifoWriter (New-Fifo "$TestDrive/quiet.fifo")
        $records = Invoke-Copy 'SilentlyContinue' "$TestDrive/quiet.fifo" "$TestDrive/quiet.copy"
        Wait-Peer $writer
        (Get-Item "$TestDrive/quiet.copy").Length | Should -Be (30 * 65536)
        $records.Count | Should -Be 0
    }
}

Describe 'Copy-SpliceItem on a real tree, against cp -a' {
    BeforeAll {
        $real = Join-Path $TestDrive 'doc'
        New-Item -ItemType Directory $real | Out-Null
        $parts = Get-ChildItem /usr/share/doc -Force | Sort-Object Name | Select-Object -First 120
        foreach ($part in $parts) { cp -a $part.FullName $real }
        # Listing of everything cp -a keeps that Copy-SpliceItem -Preserve All must keep too.
        function Get-Listing([string] $root) {
            Push-Location $root
            try { find . -printf '%P|%y|%m|%u|%g|%s|%T@|%l\n' | Where-Object { $_ -notmatch '^\|' } | Sort-Object }
            finally { Pop-Location }
        }
        function Get-Hashes([string] $root) {
            Get-ChildItem -LiteralPath $root -Recurse -File -Force | Where-Object { $_.LinkType -eq $null } |
                ForEach-Object { '{0} {1}' -f $_.FullName.Substring($root.Length), (Get-FileHash -LiteralPath $_.FullName).Hash } | Sort-Object
        }
    }

    It 'makes the same tree as cp -a: names, kinds, modes, owners, sizes, times, link targets, content' {
        (Get-ChildItem -LiteralPath $real -Recurse -Force).Count | Should -BeGreaterThan 50
        cp -a $real "$TestDrive/by-cp"
        Copy-SpliceItem -LiteralPath $real -Destination "$TestDrive/by-splice" -Recurse -Preserve All -ErrorAction Stop
        $expected = Get-Listing "$TestDrive/by-cp"
        $actual = Get-Listing "$TestDrive/by-splice"
        Compare-Object $expected $actual | Should -BeNullOrEmpty
        Compare-Object (Get-Hashes "$TestDrive/by-cp") (Get-Hashes "$TestDrive/by-splice") | Should -BeNullOrEmpty
    }
}
