BeforeDiscovery {
    $script:Sizes = @(0, 1, 4095, 4096, 65537, (1MB + 1), (3MB + 7))
    # Every method that works for two regular files on ext4/tmpfs (PlatformCopy is .NET's File.Copy); Reflink is its own case.
    $script:WorkingMethods = @('Auto', 'CopyFileRange', 'Splice', 'SendFile', 'ReadWrite', 'PlatformCopy')
    $script:SizeMethodCases = foreach ($size in $Sizes) {
        foreach ($method in $WorkingMethods) { @{ Size = $size; Method = $method } }
    }
}

BeforeAll {
    Import-Module $env:SPLICEMODULE_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'Support/TestFiles.psm1') -Force
    $script:Id = ',SpliceModule.Commands.CopySpliceItemCommand'

    . (Join-Path $PSScriptRoot 'Support/ModuleRunspace.ps1')

    # Runs a bash command line (e.g. one that writes into a FIFO) in the background, killed after 30 s.
    function Start-Writer([string] $BashCommand) {
        $start = [Diagnostics.ProcessStartInfo]::new('timeout')
        foreach ($argument in '30', 'bash', '-c', $BashCommand) { $start.ArgumentList.Add($argument) }
        [Diagnostics.Process]::Start($start)
    }

    # Makes a FIFO, starts $BashWriter (which gets the FIFO's path as $1) and copies the FIFO
    # with Copy-SpliceItem -PassThru in a bounded runspace; the writer is killed afterwards.
    function Copy-FromFifo([string] $Name, [string] $BashWriter, [string] $Method = 'Auto') {
        $fifo = Join-Path $TestDrive "$Name.fifo"
        mkfifo $fifo
        $target = Join-Path $TestDrive "$Name.out"
        $writer = Start-Writer "set -- '$fifo'; $BashWriter"
        try {
            $run = Invoke-Bounded {
                param($fifo, $target, $method)
                Copy-SpliceItem -LiteralPath $fifo -Destination $target -Method $method -PassThru
            } -ArgumentList $fifo, $target, $Method -TimeoutSec 30
            $run | Add-Member -NotePropertyName Target -NotePropertyValue $target -PassThru
        }
        finally {
            if (-not $writer.HasExited) { $writer.Kill() }
            $writer.Dispose()
        }
    }

    # mode in octal and mtime in seconds, as stat(1) prints them
    function Get-ModeAndTime([string] $Path) { (stat -c '%a %Y' -- $Path) }

    $script:TmpfsRoot = if ((findmnt -n -o FSTYPE -T /dev/shm 2>$null | Select-Object -Last 1) -eq 'tmpfs') { "/dev/shm/splicemodule-test-$PID" }
}

Describe 'Copy-SpliceItem content' {
    It 'copies <Size> bytes with -Method <Method> byte for byte' -ForEach $SizeMethodCases {
        $source = New-TestFile (Join-Path $TestDrive "src-$Size-$Method.bin") $Size -Seed $Size
        $target = Join-Path $TestDrive "dst-$Size-$Method.bin"

        $copy = Copy-SpliceItem -LiteralPath $source.FullName -Destination $target -Method $Method -PassThru

        $copy.BytesCopied | Should -Be $Size
        $copy.Length | Should -Be $Size
        Get-Sha $target | Should -Be (Get-Sha $source.FullName)
        if ($Method -ne 'Auto') { $copy.CopyMethod | Should -Be $Method }
    }

    It 'Auto picks copy_file_range for two regular files on one file system' {
        $source = New-TestFile (Join-Path $TestDrive 'auto.bin') 100000
        (Copy-SpliceItem $source.FullName (Join-Path $TestDrive 'auto-copy.bin') -PassThru).CopyMethod |
            Should -Be 'CopyFileRange' -Because 'ext4 and tmpfs have no reflinks, and copy_file_range is the next step'
    }

    It 'an empty file on the destination''s file system counts as empty, so Auto keeps copy_file_range' {
        $source = New-TestFile (Join-Path $TestDrive 'empty-auto.bin') 0
        $copy = Copy-SpliceItem $source.FullName (Join-Path $TestDrive 'empty-auto-copy.bin') -PassThru
        $copy.CopyMethod | Should -Be 'CopyFileRange'
        $copy.Length | Should -Be 0
    }

    It 'a forced CopyFileRange refuses a /proc file, whose size 0 hides its content' {
        Copy-SpliceItem -LiteralPath /proc/cpuinfo -Destination (Join-Path $TestDrive 'cfr-proc.txt') -Method CopyFileRange -ErrorVariable failure -ErrorAction SilentlyContinue
        $failure.FullyQualifiedErrorId | Should -Be "MethodNotSupported$Id"
        Test-Path (Join-Path $TestDrive 'cfr-proc.txt') | Should -BeFalse
    }

    It 'Reflink on <Name> is a clear MethodNotSupported error and leaves nothing behind' -ForEach @(
        @{ Name = 'the test drive (ext4)'; OnTmpfs = $false }
        @{ Name = 'tmpfs'; OnTmpfs = $true }
    ) {
        $dir = if ($OnTmpfs) {
            if (-not $TmpfsRoot) { Set-ItResult -Skipped -Because '/dev/shm is not a tmpfs here'; return }
            New-Item -ItemType Directory -Path $TmpfsRoot -Force | ForEach-Object FullName
        } else { $TestDrive }
        try {
            $source = New-TestFile (Join-Path $dir 'reflink-src.bin') 5000
            $target = Join-Path $dir 'reflink-dst.bin'

            Copy-SpliceItem $source.FullName $target -Method Reflink -ErrorVariable failure -ErrorAction SilentlyContinue

            $failure.Count | Should -Be 1
            $failure[0].FullyQualifiedErrorId | Should -Be "MethodNotSupported$Id"
            $failure[0].CategoryInfo.Category | Should -Be 'NotImplemented'
            $failure[0].Exception.Message | Should -Match 'Reflink'
            $failure[0].TargetObject | Should -Be $source.FullName
            Test-Path $target | Should -BeFalse
            @(Get-ChildItem -LiteralPath $dir -Force -Filter '*.splicetmp').Count | Should -Be 0
        }
        finally {
            if ($OnTmpfs) { Remove-Item -LiteralPath $dir -Recurse -Force -ErrorAction Ignore }
        }
    }

    It 'a forced <Method> that cannot read a FIFO is MethodNotSupported, not a silent fallback' -ForEach @(
        @{ Method = 'Reflink' }, @{ Method = 'CopyFileRange' }, @{ Method = 'SendFile' }
    ) {
        $run = Copy-FromFifo "refuse-$Method" 'echo data > "$1" 2>/dev/null' -Method $Method
        $run.Errors.FullyQualifiedErrorId | Should -Be "MethodNotSupported$Id"
        $run.Output | Should -BeNullOrEmpty
        Test-Path $run.Target | Should -BeFalse
    }

    It 'copies /proc/<Name> (size 0, real content) with -Method <Method>' -ForEach @(
        @{ Name = 'self/status'; Method = 'Auto' }
        @{ Name = 'cpuinfo'; Method = 'Auto' }
        @{ Name = 'cpuinfo'; Method = 'ReadWrite' }
        @{ Name = 'self/mounts'; Method = 'Auto' }
    ) {
        $target = Join-Path $TestDrive ("proc-" + ($Name -replace '/', '-') + "-$Method.txt")
        $copy = Copy-SpliceItem -LiteralPath "/proc/$Name" -Destination $target -Method $Method -PassThru
        $copy.BytesCopied | Should -BeGreaterThan 0
        $copy.Length | Should -Be $copy.BytesCopied
        $copy.CopyMethod | Should -BeIn @('Splice', 'SendFile', 'ReadWrite')
        $text = Get-Content -Raw -LiteralPath $target
        switch ($Name) {
            'self/status' { $text | Should -Match '(?m)^Name:\s+\S+' ; $text | Should -Match '(?m)^VmHWM:' }
            'cpuinfo' { $text | Should -Be (Get-Content -Raw /proc/cpuinfo) }
            'self/mounts' { $text | Should -Match '(?m)^\S+ / ' }
        }
    }

    It 'copies a FIFO until its writer closes (through splice)' {
        $data = New-TestFile (Join-Path $TestDrive 'fifo-data.bin') (3MB + 11) -Seed 7
        # The writer waits in open(2) until the copy opens the FIFO; timeout kills it if nobody does.
        $run = Copy-FromFifo 'source' "cat '$($data.FullName)' > `"`$1`""
        $run.Errors | Should -BeNullOrEmpty
        $run.Output[0].CopyMethod | Should -Be 'Splice'
        $run.Output[0].BytesCopied | Should -Be $data.Length
        Get-Sha $run.Target | Should -Be (Get-Sha $data.FullName)
    }

    It 'copies a FIFO that delivers in small pieces with -Method ReadWrite' {
        $run = Copy-FromFifo 'slow' 'exec > "$1"; for i in 1 2 3 4 5; do echo piece$i; sleep 0.1; done' -Method ReadWrite
        $run.Errors | Should -BeNullOrEmpty
        $run.Output[0].CopyMethod | Should -Be 'ReadWrite'
        Get-Content -LiteralPath $run.Target | Should -Be @('piece1', 'piece2', 'piece3', 'piece4', 'piece5')
    }

    It 'Ctrl+C while waiting for a FIFO writer stops the copy promptly and leaves nothing' {
        $fifo = Join-Path $TestDrive 'idle.fifo'
        mkfifo $fifo
        $target = Join-Path $TestDrive 'from-idle-fifo.bin'
        $ps = New-ModuleShell
        try {
            $null = $ps.AddCommand('Copy-SpliceItem').AddParameter('LiteralPath', $fifo).AddParameter('Destination', $target)
            $async = $ps.BeginInvoke()
            $async.AsyncWaitHandle.WaitOne(1000) | Should -BeFalse -Because 'with no writer the copy waits'
            $clock = [Diagnostics.Stopwatch]::StartNew()
            $stop = $ps.BeginStop($null, $null)
            $stop.AsyncWaitHandle.WaitOne(5000) | Should -BeTrue -Because 'Stop must return within seconds'
            $clock.Elapsed.TotalSeconds | Should -BeLessThan 5
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
        }
        finally { $ps.Dispose() }
        Test-Path $target | Should -BeFalse
        @(Get-ChildItem -LiteralPath $TestDrive -Force -Filter '*.splicetmp').Count | Should -Be 0
    }

    It 'a socket source is SourceIsSocket' {
        $path = Join-Path $TestDrive 'listen.sock'
        $socket = [Net.Sockets.Socket]::new([Net.Sockets.AddressFamily]::Unix, [Net.Sockets.SocketType]::Stream, [Net.Sockets.ProtocolType]::Unspecified)
        try {
            $socket.Bind([Net.Sockets.UnixDomainSocketEndPoint]::new($path))
            Copy-SpliceItem -LiteralPath $path -Destination (Join-Path $TestDrive 'sock.out') -ErrorVariable failure -ErrorAction SilentlyContinue
            $failure.FullyQualifiedErrorId | Should -Be "SourceIsSocket$Id"
            Test-Path (Join-Path $TestDrive 'sock.out') | Should -BeFalse
        }
        finally { $socket.Dispose() }
    }

    It 'names the method asked for when a file of holes only moves no data, and the one used when it has data' {
        $holes = Join-Path $TestDrive 'holes.img'
        truncate -s 64M $holes
        $copy = Copy-SpliceItem -LiteralPath $holes -Destination (Join-Path $TestDrive 'holes-copy.img') -PassThru
        $copy.CopyMethod | Should -Be 'Auto'
        $copy.BytesCopied | Should -Be 0
        $copy.Length | Should -Be 64MB
        dd if=/dev/urandom of=$holes bs=1M count=1 conv=notrunc status=none
        $copy = Copy-SpliceItem -LiteralPath $holes -Destination (Join-Path $TestDrive 'data-copy.img') -PassThru
        $copy.CopyMethod | Should -Not -Be 'Auto'
        $copy.BytesCopied | Should -Be 1MB
    }

    It 'copies a file larger than 4 GiB (sparse source, data past the 4 GiB mark)' {
        $free = [IO.DriveInfo]::new($TestDrive).AvailableFreeSpace
        if ($free -lt 6GB) { Set-ItResult -Skipped -Because "the copy may take 4.1 GB and only $([Math]::Round($free / 1GB, 1)) GB are free"; return }
        $source = Join-Path $TestDrive 'big.img'
        truncate -s 4100M $source
        $markers = [ordered]@{ 0L = 'start'; 4294967290L = 'across-4GiB'; (4100MB - 16) = 'the-very-end' }
        $stream = [IO.File]::OpenWrite($source)
        try {
            foreach ($offset in $markers.Keys) {
                $stream.Position = $offset
                $bytes = [Text.Encoding]::ASCII.GetBytes($markers[$offset])
                $stream.Write($bytes, 0, $bytes.Length)
            }
        }
        finally { $stream.Dispose() }
        $target = Join-Path $TestDrive 'big-copy.img'
        try {
            $copy = Copy-SpliceItem -LiteralPath $source -Destination $target -PassThru
            # Holes are skipped, so only the data extents count as copied bytes.
            $copy.Sparse | Should -BeTrue
            $copy.BytesCopied | Should -BeGreaterThan 0
            $copy.BytesCopied | Should -BeLessOrEqual (4100MB)
            $copy.Length | Should -Be (4100MB)
            cmp -- $source $target
            $LASTEXITCODE | Should -Be 0 -Because 'cmp finds no differing byte'
        }
        finally {
            Remove-Item -LiteralPath $source, $target -Force -ErrorAction Ignore
        }
    }
}

Describe 'Copy-SpliceItem paths' {
    BeforeEach { Push-Location -LiteralPath $TestDrive }
    AfterEach { Pop-Location }

    It 'resolves relative paths against the PowerShell location after Set-Location' {
        $dir = New-Item -ItemType Directory -Path (Join-Path $TestDrive 'rel')
        New-TestFile (Join-Path $dir 'r.bin') 1234 | Out-Null
        Set-Location -LiteralPath $dir
        [Environment]::CurrentDirectory | Should -Not -Be $dir.FullName -Because 'the test must not pass by the process directory'

        Copy-SpliceItem r.bin r-copy.bin

        Get-Sha (Join-Path $dir 'r-copy.bin') | Should -Be (Get-Sha (Join-Path $dir 'r.bin'))
    }

    It 'writes -PassThru items on the drive Copy-Item -PassThru puts them on (/ for a path under /tmp)' {
        New-TestFile (Join-Path $TestDrive 'drive.bin') 10 | Out-Null
        $splice = Copy-SpliceItem -LiteralPath (Join-Path $TestDrive 'drive.bin') -Destination (Join-Path $TestDrive 'drive-splice.bin') -PassThru
        $copy = Copy-Item -LiteralPath (Join-Path $TestDrive 'drive.bin') -Destination (Join-Path $TestDrive 'drive-copy.bin') -PassThru
        $splice.PSDrive.Name | Should -Be $copy.PSDrive.Name
        $splice.PSDrive.Name | Should -Be '/'
        $splice.PSDrive.Name | Should -Be (Get-Item -LiteralPath $splice.FullName).PSDrive.Name
    }

    It 'works with TestDrive: paths' {
        New-TestFile (Join-Path $TestDrive 'td.bin') 777 | Out-Null
        $copy = Copy-SpliceItem -Path 'TestDrive:/td.bin' -Destination 'TestDrive:/td-copy.bin' -PassThru
        $copy.FullName | Should -Be (Join-Path $TestDrive 'td-copy.bin')
        Get-Sha $copy.FullName | Should -Be (Get-Sha (Join-Path $TestDrive 'td.bin'))
    }

    It 'works with ~ for the home directory' {
        $name = "splicemodule-tilde-$PID-$([guid]::NewGuid().ToString('N')).bin"
        New-TestFile (Join-Path $TestDrive 'home.bin') 321 | Out-Null
        try {
            $copy = Copy-SpliceItem -Path (Join-Path $TestDrive 'home.bin') -Destination "~/$name" -PassThru
            $copy.FullName | Should -Be (Join-Path $HOME $name)
            Copy-SpliceItem -Path "~/$name" -Destination 'back.bin'
            Get-Sha (Join-Path $TestDrive 'back.bin') | Should -Be (Get-Sha (Join-Path $TestDrive 'home.bin'))
        }
        finally { Remove-Item -LiteralPath (Join-Path $HOME $name) -Force -ErrorAction Ignore }
    }

    It 'copies a [bracketed] name given by -LiteralPath' {
        $dir = New-Item -ItemType Directory -Path (Join-Path $TestDrive 'br-literal')
        $source = New-TestFile (Join-Path $dir 'data[1].bin') 999
        Copy-SpliceItem -LiteralPath $source.FullName -Destination (Join-Path $dir 'out[2].bin')
        Get-Sha (Join-Path $dir 'out[2].bin') | Should -Be (Get-Sha $source.FullName)
    }

    It 'copies [bracketed] names piped from Get-ChildItem into an existing directory' {
        $from = New-Item -ItemType Directory -Path (Join-Path $TestDrive 'br-from')
        $to = New-Item -ItemType Directory -Path (Join-Path $TestDrive 'br-to')
        $files = 'a[1].bin', 'b.bin', 'c[x].bin' | ForEach-Object { New-TestFile (Join-Path $from $_) (100 * $_.Length) -Seed $_.Length }

        $copies = Get-ChildItem -LiteralPath $from | Copy-SpliceItem -Destination $to -PassThru

        $copies.Name | Sort-Object | Should -Be ($files.Name | Sort-Object)
        foreach ($file in $files) { Get-Sha (Join-Path $to $file.Name) | Should -Be (Get-Sha $file.FullName) }
    }

    It 'treats -Path as a wildcard' {
        $dir = New-Item -ItemType Directory -Path (Join-Path $TestDrive 'wild')
        $out = New-Item -ItemType Directory -Path (Join-Path $TestDrive 'wild-out')
        1..3 | ForEach-Object { New-TestFile (Join-Path $dir "w$_.log") 10 | Out-Null }
        New-TestFile (Join-Path $dir 'other.txt') 10 | Out-Null
        Copy-SpliceItem -Path (Join-Path $dir '*.log') -Destination $out
        (Get-ChildItem $out).Name | Sort-Object | Should -Be @('w1.log', 'w2.log', 'w3.log')
    }

    It 'puts the file under its own name into an existing destination directory' {
        $source = New-TestFile (Join-Path $TestDrive 'into.bin') 50
        $dir = New-Item -ItemType Directory -Path (Join-Path $TestDrive 'into-dir')
        $copy = Copy-SpliceItem $source.FullName $dir.FullName -PassThru
        $copy.FullName | Should -Be (Join-Path $dir 'into.bin')
        Get-Sha $copy.FullName | Should -Be (Get-Sha $source.FullName)
    }

    It 'overwrites an existing destination file' {
        $source = New-TestFile (Join-Path $TestDrive 'new.bin') 300 -Seed 3
        $target = New-TestFile (Join-Path $TestDrive 'old.bin') 5000 -Seed 4
        Copy-SpliceItem $source.FullName $target.FullName
        Get-Sha $target.FullName | Should -Be (Get-Sha $source.FullName)
        (Get-Item $target.FullName).Length | Should -Be 300
    }

    It '-WhatIf creates nothing' {
        $source = New-TestFile (Join-Path $TestDrive 'whatif.bin') 10
        $dir = New-Item -ItemType Directory -Path (Join-Path $TestDrive 'whatif-dir')
        Invoke-WhatIf { param($s, $d) Copy-SpliceItem $s $d -WhatIf } $source.FullName, (Join-Path $dir 'x.bin') | Out-Null
        Get-ChildItem $source.FullName, (Join-Path $dir 'x.bin') -ErrorAction SilentlyContinue | Should -HaveCount 1
        Get-ChildItem -LiteralPath $dir -Force | Should -BeNullOrEmpty
    }

    It '-PassThru writes the destination FileInfo as Get-Item would, with CopyMethod and BytesCopied' {
        $source = New-TestFile (Join-Path $TestDrive 'pt.bin') 4321
        $copy = Copy-SpliceItem $source.FullName (Join-Path $TestDrive 'pt-copy.bin') -Method Splice -PassThru
        $copy | Should -BeOfType [IO.FileInfo]
        $copy.PSPath | Should -Be (Get-Item (Join-Path $TestDrive 'pt-copy.bin')).PSPath
        $copy.PSProvider.Name | Should -Be 'FileSystem'
        $copy.CopyMethod | Should -BeOfType [SpliceModule.CopyMethod]
        $copy.CopyMethod | Should -Be 'Splice'
        $copy.BytesCopied | Should -Be 4321
    }

    It '-PassThru items show UnixMode, User and Group as Get-Item does, for files and a tree' {
        $source = New-TestFile (Join-Path $TestDrive 'unixmode.bin') 100
        chmod 640 $source.FullName
        $tree = Join-Path $TestDrive 'unixmode-tree'
        New-Item -ItemType Directory -Path (Join-Path $tree 'sub') | Out-Null
        Set-Content -LiteralPath (Join-Path $tree 'sub/a.txt') -Value 'a'
        chmod 750 (Join-Path $tree 'sub')
        $items = @(Copy-SpliceItem $source.FullName (Join-Path $TestDrive 'unixmode-copy.bin') -PassThru) +
            @(Copy-SpliceItem -LiteralPath $tree -Destination (Join-Path $TestDrive 'unixmode-tree-copy') -Recurse -PassThru)
        $items | Should -HaveCount 4
        foreach ($item in $items) {
            $expected = Get-Item -LiteralPath $item.FullName -Force
            '{0} {1} {2} {3}' -f $item.Name, $item.UnixMode, $item.User, $item.Group |
                Should -Be ('{0} {1} {2} {3}' -f $expected.Name, $expected.UnixMode, $expected.User, $expected.Group)
        }
        ($items | Where-Object Name -EQ 'sub').UnixMode | Should -Be 'drwxr-x---'
        $items[0].UnixMode | Should -Be '-rw-r-----'
    }

    It 'writes nothing without -PassThru' {
        $source = New-TestFile (Join-Path $TestDrive 'quiet.bin') 10
        Copy-SpliceItem $source.FullName (Join-Path $TestDrive 'quiet-copy.bin') | Should -BeNullOrEmpty
    }

    It 'keeps mode bits and modification time (<Mode>)' -ForEach @(@{ Mode = '751' }, @{ Mode = '600' }, @{ Mode = '444' }) {
        $source = New-TestFile (Join-Path $TestDrive "mode-$Mode.bin") 2000
        chmod $Mode $source.FullName
        touch -d '2001-02-03 04:05:06' $source.FullName
        $target = Join-Path $TestDrive "mode-$Mode-copy.bin"
        Copy-SpliceItem $source.FullName $target
        Get-ModeAndTime $target | Should -Be (Get-ModeAndTime $source.FullName)
        (Get-ModeAndTime $target) | Should -Be "$Mode 981173106"
    }
}

Describe 'Copy-SpliceItem into a device that refuses splice' {
    BeforeAll { . (Join-Path $PSScriptRoot 'Pipelines.Helpers.ps1') }

    # /dev/full and /dev/kmsg have no splice_write; /dev/kmsg also never polls writable. cp and
    # cat write them with write(2): ENOSPC for /dev/full, a kernel log line for /dev/kmsg.
    It 'reports /dev/full as full (ENOSPC)' {
        $source = New-TestFile (Join-Path $TestDrive 'to-full.bin') 5000
        $run = Invoke-Bounded { param($source) Copy-SpliceItem -LiteralPath $source -Destination /dev/full } -ArgumentList $source.FullName -TimeoutSec 30
        $run.Errors.Count | Should -Be 1
        $run.Errors[0].FullyQualifiedErrorId | Should -Be "SystemCallFailed$Id"
        $run.Errors[0].Exception.ErrnoName | Should -Be 'ENOSPC'
    }

    It 'writes into /dev/kmsg by read/write and says so in CopyMethod' {
        $line = New-KernelLogLine 'Copy-SpliceItem'
        if (-not $line) { Set-ItResult -Skipped -Because '/dev/kmsg cannot be written and read here'; return }
        $source = Join-Path $TestDrive 'kmsg-line.txt'
        [IO.File]::WriteAllText($source, $line)
        $run = Invoke-Bounded { param($source) Copy-SpliceItem -LiteralPath $source -Destination /dev/kmsg -PassThru } -ArgumentList $source -TimeoutSec 30
        $run.Errors | Should -BeNullOrEmpty
        $run.Output.CopyMethod | Should -Be 'ReadWrite'
        Test-KernelLogLine $line | Should -BeTrue
    }
}

Describe 'Copy-SpliceItem refusals and errors' {
    It 'reports EACCES and EPERM as PermissionDenied (an immutable directory, root)' -Skip:((id -u) -ne '0') {
        $locked = New-Item -ItemType Directory -Path (Join-Path $TestDrive 'immutable')
        chattr +i $locked.FullName 2>$null
        if ($LASTEXITCODE -ne 0) { Set-ItResult -Skipped -Because 'this file system has no immutable flag'; return }
        try {
            $source = New-TestFile (Join-Path $TestDrive 'denied.bin') 10
            Copy-SpliceItem -LiteralPath $source.FullName -Destination (Join-Path $locked 'x.bin') -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].FullyQualifiedErrorId | Should -Be "PermissionDenied$Id"
            $err[0].CategoryInfo.Category | Should -Be 'PermissionDenied'
            $err[0].Exception.ErrnoName | Should -BeIn @('EPERM', 'EACCES')
        }
        finally { chattr -i $locked.FullName }
    }

    # open(2) takes a C string: what follows a NUL would be dropped and another file replaced.
    It 'refuses a destination with a NUL character with InvalidPath and leaves the file named before it alone (<Cmdlet>)' -ForEach @(
        @{ Cmdlet = 'Copy-SpliceItem'; Write = { param($s, $d) Copy-SpliceItem -LiteralPath $s -Destination $d -ErrorAction Stop } }
        @{ Cmdlet = 'Invoke-Tee'; Write = { param($s, $d) Invoke-Tee -Path $s -Destination $d -ErrorAction Stop } }
        @{ Cmdlet = 'Write-VmSplice'; Write = { param($s, $d) 'new' | Write-VmSplice -Destination $d -ErrorAction Stop } }
    ) {
        $victim = Join-Path $TestDrive "nul-victim-$Cmdlet"
        Set-Content -LiteralPath $victim -Value 'untouched'
        $source = New-TestFile (Join-Path $TestDrive "nul-source-$Cmdlet") 100
        { & $Write $source.FullName "$victim`0.bak" } | Should -Throw -ErrorId 'InvalidPath*'
        Get-Content -LiteralPath $victim | Should -Be 'untouched'
    }

    It 'refuses a source with a NUL character with InvalidPath, by -Path as by -LiteralPath, and copies nothing (<Parameter>)' -ForEach @(
        @{ Parameter = 'Path' }
        @{ Parameter = 'LiteralPath' }
    ) {
        $source = New-TestFile (Join-Path $TestDrive "nul-src-$Parameter") 100
        $out = New-Item -ItemType Directory -Path (Join-Path $TestDrive "nul-out-$Parameter")
        $named = @{ $Parameter = "$($source.FullName)`0zz" }
        Copy-SpliceItem @named -Destination $out -ErrorVariable failure -ErrorAction SilentlyContinue
        $failure.FullyQualifiedErrorId | Should -Be "InvalidPath$Id"
        Get-ChildItem -LiteralPath $out | Should -BeNullOrEmpty
    }

    It 'refuses to copy a file onto itself <Case> and leaves the source untouched' -ForEach @(
        @{ Case = 'directly'; Link = $null }
        @{ Case = 'through a hard link'; Link = 'hard' }
        @{ Case = 'through a symlink'; Link = 'symbolic' }
        @{ Case = 'into its own directory'; Link = 'directory' }
    ) {
        $dir = New-Item -ItemType Directory -Path (Join-Path $TestDrive "self-$($Case -replace ' ', '-')")
        $source = New-TestFile (Join-Path $dir 'self.bin') 65537 -Seed 9
        $hash = Get-Sha $source.FullName
        $target = switch ($Link) {
            $null { $source.FullName }
            'hard' { (New-Item -ItemType HardLink -Path (Join-Path $dir 'hard.bin') -Target $source.FullName).FullName }
            'symbolic' { (New-Item -ItemType SymbolicLink -Path (Join-Path $dir 'sym.bin') -Target $source.FullName).FullName }
            'directory' { $dir.FullName }
        }

        Copy-SpliceItem -LiteralPath $source.FullName -Destination $target -ErrorVariable failure -ErrorAction SilentlyContinue

        # Copy-Item's id, category and marker; the record names the destination, as Copy-Item's does.
        $failure.FullyQualifiedErrorId | Should -Be "CopyError$Id"
        $failure[0].CategoryInfo.Category | Should -Be 'WriteError'
        $failure[0].Exception | Should -BeOfType System.IO.IOException
        $failure[0].Exception.Message | Should -BeLike '*onto itself*'
        $landing = if ($Link -eq 'directory') { $source.FullName } else { $target }
        $failure[0].TargetObject | Should -Be $landing
        $failure[0].Exception.Data['SelfCopy'] | Should -Be $landing
        Get-Sha $source.FullName | Should -Be $hash
        (Get-Item $source.FullName).Length | Should -Be 65537
        @(Get-ChildItem -LiteralPath $dir -Force -Filter '*.splicetmp').Count | Should -Be 0
    }

    It 'a directory source onto an existing file is DirectoryOntoFile and leaves the file alone' {
        $dir = New-Item -ItemType Directory -Path (Join-Path $TestDrive 'a-dir')
        $file = New-TestFile (Join-Path $TestDrive 'a-file.bin') 100
        $hash = Get-Sha $file.FullName
        Copy-SpliceItem -LiteralPath $dir.FullName -Destination $file.FullName -ErrorVariable failure -ErrorAction SilentlyContinue
        $failure.FullyQualifiedErrorId | Should -Be "DirectoryOntoFile$Id"
        $failure[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        Get-Sha $file.FullName | Should -Be $hash
    }

    It 'a missing literal path is PathNotFound with the path as target' {
        $missing = Join-Path $TestDrive 'missing.bin'
        Copy-SpliceItem -LiteralPath $missing -Destination (Join-Path $TestDrive 'm.bin') -ErrorVariable failure -ErrorAction SilentlyContinue
        $failure.FullyQualifiedErrorId | Should -Be "PathNotFound$Id"
        $failure[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $failure[0].TargetObject | Should -Be $missing
    }

    It 'a -Path without wildcards that is missing is PathNotFound too' {
        Copy-SpliceItem -Path (Join-Path $TestDrive 'nothing.bin') -Destination (Join-Path $TestDrive 'm.bin') -ErrorVariable failure -ErrorAction SilentlyContinue
        $failure.FullyQualifiedErrorId | Should -Be "PathNotFound$Id"
    }

    It 'a wildcard matching nothing is silent' {
        Copy-SpliceItem -Path (Join-Path $TestDrive 'no-such-*.bin') -Destination (Join-Path $TestDrive 'w.bin') -ErrorVariable failure
        $failure | Should -BeNullOrEmpty
        Test-Path (Join-Path $TestDrive 'w.bin') | Should -BeFalse
    }

    It 'a non-FileSystem path (<Path>) is NotFileSystemPath' -ForEach @(
        @{ Path = 'Env:PATH'; Literal = $true }, @{ Path = 'Env:PATH'; Literal = $false }, @{ Path = 'Variable:PSHOME'; Literal = $true }
    ) {
        $parameters = @{ Destination = (Join-Path $TestDrive 'env.txt'); ErrorVariable = 'failure'; ErrorAction = 'SilentlyContinue' }
        if ($Literal) { $parameters.LiteralPath = $Path } else { $parameters.Path = $Path }
        Copy-SpliceItem @parameters
        $failure.FullyQualifiedErrorId | Should -Be "NotFileSystemPath$Id"
        $failure[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        Test-Path (Join-Path $TestDrive 'env.txt') | Should -BeFalse
    }

    It 'a non-FileSystem destination is NotFileSystemPath' {
        $source = New-TestFile (Join-Path $TestDrive 'to-env.bin') 10
        Copy-SpliceItem $source.FullName -Destination 'Env:SPLICEMODULE_NOPE' -ErrorVariable failure -ErrorAction SilentlyContinue
        $failure.FullyQualifiedErrorId | Should -Be "NotFileSystemPath$Id"
        Test-Path Env:SPLICEMODULE_NOPE | Should -BeFalse
    }

    It 'an unknown drive is DriveNotFound and does not stop the other items' {
        $good = New-TestFile (Join-Path $TestDrive 'after-drive.bin') 10
        $out = New-Item -ItemType Directory -Path (Join-Path $TestDrive 'drive-out')
        Copy-SpliceItem -Path 'nodrive:/x.bin', $good.FullName -Destination $out -ErrorVariable failure -ErrorAction SilentlyContinue
        $failure.FullyQualifiedErrorId | Should -Be "DriveNotFound$Id"
        Test-Path (Join-Path $out 'after-drive.bin') | Should -BeTrue
    }

    It 'runs the other items after one fails' {
        $dir = New-Item -ItemType Directory -Path (Join-Path $TestDrive 'mixed')
        $out = New-Item -ItemType Directory -Path (Join-Path $TestDrive 'mixed-out')
        $first = New-TestFile (Join-Path $dir 'first.bin') 100
        $last = New-TestFile (Join-Path $dir 'last.bin') 200

        Copy-SpliceItem -LiteralPath $first.FullName, (Join-Path $dir 'gone.bin'), 'Env:PATH', $last.FullName -Destination $out -ErrorVariable failure -ErrorAction SilentlyContinue

        $failure.FullyQualifiedErrorId | Should -Be @("PathNotFound$Id", "NotFileSystemPath$Id")
        (Get-ChildItem $out).Name | Sort-Object | Should -Be @('first.bin', 'last.bin')
    }

    It 'a destination in a missing directory is DestinationDirectoryNotFound' {
        $source = New-TestFile (Join-Path $TestDrive 'nodir.bin') 10
        Copy-SpliceItem $source.FullName (Join-Path $TestDrive 'no/such/dir/x.bin') -ErrorVariable failure -ErrorAction SilentlyContinue
        $failure.FullyQualifiedErrorId | Should -Be "DestinationDirectoryNotFound$Id"
    }

    It 'a file to a missing "name/" is DestinationDirectoryNotFound and makes no file "name" (cp: Not a directory)' {
        $source = New-TestFile (Join-Path $TestDrive 'slash.bin') 10
        $destination = Join-Path $TestDrive 'slash-dir/'
        Copy-SpliceItem $source.FullName $destination -ErrorVariable failure -ErrorAction SilentlyContinue
        $failure.FullyQualifiedErrorId | Should -Be "DestinationDirectoryNotFound$Id"
        $failure[0].Exception.Message | Should -BeLike "*the directory '*slash-dir' does not exist*"
        Test-Path -LiteralPath (Join-Path $TestDrive 'slash-dir') | Should -BeFalse
        # And into an existing one, the file goes inside under its own name.
        $null = New-Item -ItemType Directory -Path $destination
        Copy-SpliceItem $source.FullName $destination
        Get-Content -LiteralPath (Join-Path $destination 'slash.bin') -AsByteStream | Should -Be ([IO.File]::ReadAllBytes($source.FullName))
    }
}
