BeforeAll {
    Import-Module $env:SPLICEMODULE_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'Support/FreshPwsh.psm1') -Force
    . (Join-Path $PSScriptRoot 'Support/BashProcess.ps1')
    $script:Id = ',SpliceModule.Commands.GetSpliceCapabilityCommand'
    # The file system type of the mount that holds a path (the last line: the mount on top).
    function Get-FsType([string] $Path) { findmnt -n -o FSTYPE -T $Path 2>$null | Select-Object -Last 1 }
    $script:TmpfsDir = if ((Get-FsType /dev/shm) -eq 'tmpfs') { '/dev/shm' }
}

Describe 'Get-SpliceCapability' {
    It 'reports the kernel and each call as values a script can test' {
        $cap = Get-SpliceCapability
        $cap | Should -BeOfType [SpliceModule.SpliceCapability]
        $cap.Platform | Should -Be 'Linux'
        $cap.KernelRelease | Should -Be (uname -r)
        foreach ($name in 'Splice', 'Tee', 'VmSplice', 'CopyFileRange', 'SendFile') {
            $cap.$name | Should -BeOfType [bool]
            $cap.$name | Should -BeTrue -Because "$name works in this kernel (>= 5.3) unless a seccomp filter forbids it"
        }
        $cap.PipeMaxSize | Should -BeOfType [int]
        $cap.PipeMaxSize | Should -Be ([int](Get-Content /proc/sys/fs/pipe-max-size))
        $cap.Path | Should -BeNullOrEmpty
        $cap.FileSystem | Should -BeNullOrEmpty
        $cap.Reflink | Should -BeNullOrEmpty
    }

    It 'its answers agree with what copies really do' {
        $cap = Get-SpliceCapability
        $source = Join-Path $TestDrive 'agree.bin'
        [IO.File]::WriteAllBytes($source, [byte[]](1..50))
        foreach ($method in 'Splice', 'CopyFileRange', 'SendFile') {
            $copy = Copy-SpliceItem $source (Join-Path $TestDrive "agree-$method.bin") -Method $method -PassThru -ErrorAction SilentlyContinue
            [bool]$copy | Should -Be $cap.$method
        }
    }

    It '-Path on <Name> reports the FileSystem findmnt names, and Reflink $false' -ForEach @(
        @{ Name = 'the test drive'; Dir = $null }
        @{ Name = 'tmpfs'; Dir = '/dev/shm' }
    ) {
        $dir = if ($Dir) { if (-not $TmpfsDir) { Set-ItResult -Skipped -Because '/dev/shm is not a tmpfs here'; return }; $Dir } else { $TestDrive }
        $expected = Get-FsType $dir
        if ($expected -notin 'ext4', 'tmpfs') { Set-ItResult -Skipped -Because "$dir is on $expected here, not ext4 or tmpfs"; return }

        $cap = Get-SpliceCapability -Path $dir

        $cap.Path | Should -Be $dir
        $cap.FileSystem | Should -Be $expected
        $cap.Reflink | Should -BeOfType [bool]
        $cap.Reflink | Should -BeFalse -Because "$expected has no reflinks"
        @(Get-ChildItem -LiteralPath $dir -Force -Filter '*reflink-probe*').Count | Should -Be 0 -Because 'the probe cleans up after itself'
    }

    It '-Path accepts a file, relative paths and TestDrive:' {
        $file = Join-Path $TestDrive 'cap.txt'
        Set-Content -LiteralPath $file -Value 'x'
        Push-Location -LiteralPath $TestDrive
        try {
            (Get-SpliceCapability -Path cap.txt).Path | Should -Be $file
            (Get-SpliceCapability -Path 'TestDrive:/cap.txt').FileSystem | Should -Be (Get-FsType $TestDrive)
            (Get-Item $file | Get-SpliceCapability).Path | Should -Be $file
        }
        finally { Pop-Location }
    }

    It '-Path takes several paths, and paths from the pipeline, one capability each in order' {
        $paths = @($TestDrive, '/proc', '/dev/shm')
        (Get-SpliceCapability -Path $paths).Path | Should -Be $paths
        ($paths | Get-SpliceCapability).FileSystem | Should -Be @($paths | ForEach-Object { Get-FsType $_ })
    }

    It 'reports the paths that exist when one of several is missing' {
        $missing = Join-Path $TestDrive 'missing'
        $found = Get-SpliceCapability -Path $TestDrive, $missing, '/proc' -ErrorVariable failure -ErrorAction SilentlyContinue
        $found.Path | Should -Be @($TestDrive, '/proc')
        $failure.FullyQualifiedErrorId | Should -Be "PathNotFound$Id"
        $failure.TargetObject | Should -Be $missing
    }

    It 'a missing -Path is PathNotFound' {
        Get-SpliceCapability -Path (Join-Path $TestDrive 'missing') -ErrorVariable failure -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $failure.FullyQualifiedErrorId | Should -Be "PathNotFound$Id"
    }

    It 'an empty -Path is InvalidPath, not the current location, and the other paths are still reported' {
        Push-Location -LiteralPath $TestDrive
        try { $found = Get-SpliceCapability -Path '', '/proc' -ErrorVariable failure -ErrorAction SilentlyContinue }
        finally { Pop-Location }
        $found.Path | Should -Be @('/proc')
        $failure.FullyQualifiedErrorId | Should -Be "InvalidPath$Id"
        $failure.CategoryInfo.Category | Should -Be 'InvalidArgument'
        '' | Get-SpliceCapability -ErrorVariable failure -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $failure.FullyQualifiedErrorId | Should -Be "InvalidPath$Id"
    }

    It 'a non-FileSystem -Path is NotFileSystemPath' {
        Get-SpliceCapability -Path Env:PATH -ErrorVariable failure -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $failure.FullyQualifiedErrorId | Should -Be "NotFileSystemPath$Id"
    }

    It 'probes and copies work when TMPDIR points nowhere (probes use memory files)' {
        $source = Join-Path $TestDrive 'tmpdir.bin'
        [IO.File]::WriteAllBytes($source, [byte[]](1..100))
        $script = "Import-Module '$env:SPLICEMODULE_TEST_MODULE'; `$c = Get-SpliceCapability; `$c.CopyFileRange; `$c.SendFile; (Copy-SpliceItem -LiteralPath '$source' -Destination '$source.copy' -PassThru).CopyMethod"
        $run = Invoke-FreshPwsh -Script $script -Environment @{ TMPDIR = '/nonexistent/splicemodule' } -TimeoutSeconds 60
        $run.Error | Should -Not -Match 'splicemodule-probe'
        ($run.Output.Trim() -split '\r?\n') | Should -Be @('True', 'True', 'CopyFileRange')
        [IO.File]::ReadAllBytes("$source.copy") | Should -Be ([byte[]](1..100))
    }

    It 'looks at a FIFO without opening it: a writer waiting on it is neither let in nor killed' {
        $fifo = Join-Path $TestDrive 'capability.fifo'
        $done = Join-Path $TestDrive 'capability.writer'
        mkfifo -- $fifo
        $writer = Start-Bash "echo important > '$fifo'; echo `$? > '$done'"
        try {
            Start-Sleep -Milliseconds 300
            (Get-SpliceCapability -Path $fifo).FileSystem | Should -Not -BeNullOrEmpty
            Start-Sleep -Milliseconds 300
            Test-Path -LiteralPath $done | Should -BeFalse -Because 'the writer still waits for a reader'
            timeout 10 cat -- $fifo | Should -Be 'important'
            $writer.WaitForExit(10000) | Should -BeTrue
            Get-Content -LiteralPath $done | Should -Be '0'
        }
        finally { Stop-Bash $writer }
    }

    It 'reports the file system of a socket file, which cannot be opened' {
        $path = Join-Path $TestDrive 'capability.sock'
        $socket = [Net.Sockets.Socket]::new([Net.Sockets.AddressFamily]::Unix, [Net.Sockets.SocketType]::Stream, [Net.Sockets.ProtocolType]::Unspecified)
        try {
            $socket.Bind([Net.Sockets.UnixDomainSocketEndPoint]::new($path))
            (Get-SpliceCapability -Path $path).FileSystem | Should -Be (Get-SpliceCapability -Path $TestDrive).FileSystem
        }
        finally { $socket.Dispose() }
    }
}
