BeforeDiscovery {
    $script:CanDropCapabilities = [bool](Get-Command setpriv -ErrorAction Ignore) -and (id -u) -eq '0'
}

BeforeAll {
    Import-Module $env:SPLICEMODULE_TEST_MODULE -Force
    . (Join-Path $PSScriptRoot 'Support/ModuleRunspace.ps1')
    Import-Module (Join-Path $PSScriptRoot 'Support/FreshPwsh.psm1') -Force
    $script:Id = ',SpliceModule.Commands.NewKernelPipeCommand'
    $script:PipeMaxSize = [int](Get-Content /proc/sys/fs/pipe-max-size)

    # CAP_SYS_RESOURCE (bit 24) lets a process go past pipe-max-size.
    $capEff = (Select-String -Path /proc/self/status -Pattern '^CapEff:\s*([0-9a-f]+)').Matches[0].Groups[1].Value
    $script:HasSysResource = ([Convert]::ToUInt64($capEff, 16) -band (1L -shl 24)) -ne 0

    # Writes 4 KiB blocks into a non-blocking pipe until the kernel says it is full (EAGAIN).
    function Get-FillCount($pipe) {
        $handle = [Microsoft.Win32.SafeHandles.SafeFileHandle]::new([IntPtr]$pipe.WriteEnd.Fd, $false)
        $stream = [IO.FileStream]::new($handle, [IO.FileAccess]::Write, 0)
        $block = [byte[]]::new(4096)
        $total = 0
        try {
            while ($total -lt 64MB) { $stream.Write($block, 0, $block.Length); $total += $block.Length }
        }
        catch [IO.IOException] { }
        $total
    }
}

Describe 'New-KernelPipe' {
    It 'creates a blocking pipe with the default capacity of 16 pages' {
        $pipe = New-KernelPipe
        try {
            $pipe | Should -BeOfType [SpliceModule.KernelPipe]
            $pipe.Capacity | Should -Be 65536
            $pipe.IsNonBlocking | Should -BeFalse
            $pipe.IsClosed | Should -BeFalse
            $pipe.BytesAvailable | Should -Be 0
            $pipe.ReadEnd.Kind | Should -Be 'Pipe'
            $pipe.ReadEnd.Access | Should -Be 'Read'
            $pipe.WriteEnd.Access | Should -Be 'Write'
            $pipe.ReadEnd.Fd | Should -Not -Be $pipe.WriteEnd.Fd
            # The descriptors are real: the kernel shows both as the same pipe.
            $readTarget = (Get-Item "/proc/self/fd/$($pipe.ReadEnd.Fd)").LinkTarget
            $readTarget | Should -Match '^pipe:\[\d+\]$'
            (Get-Item "/proc/self/fd/$($pipe.WriteEnd.Fd)").LinkTarget | Should -Be $readTarget
        }
        finally { $pipe.Dispose() }
    }

    It '-Capacity <Asked> gives the kernel''s real size <Granted>' -ForEach @(
        @{ Asked = 1; Granted = 4096 }
        @{ Asked = 4096; Granted = 4096 }
        @{ Asked = 5000; Granted = 8192 }
        @{ Asked = 100000; Granted = 131072 }
        @{ Asked = 1048576; Granted = 1048576 }
    ) {
        $pipe = New-KernelPipe -Capacity $Asked -NonBlocking
        try {
            $pipe.Capacity | Should -Be $Granted
            # Independent of fcntl: a non-blocking pipe takes exactly Capacity bytes in page-sized writes.
            Get-FillCount $pipe | Should -Be $Granted
            $pipe.BytesAvailable | Should -Be $Granted
        }
        finally { $pipe.Dispose() }
    }

    It 'the capacity can be changed later and reads back what the kernel granted' {
        $pipe = New-KernelPipe
        try {
            $pipe.Capacity = 200000
            $pipe.Capacity | Should -Be 262144
        }
        finally { $pipe.Dispose() }
    }

    It 'BytesAvailable counts what was written and not yet read' {
        $pipe = New-KernelPipe
        try {
            $stream = [IO.FileStream]::new([Microsoft.Win32.SafeHandles.SafeFileHandle]::new([IntPtr]$pipe.WriteEnd.Fd, $false), [IO.FileAccess]::Write, 1)
            $stream.Write([byte[]](1..100), 0, 100)
            $stream.Flush()
            $pipe.BytesAvailable | Should -Be 100
        }
        finally { $pipe.Dispose() }
    }

    It '-NonBlocking sets O_NONBLOCK on both ends' {
        $pipe = New-KernelPipe -NonBlocking
        try {
            $pipe.IsNonBlocking | Should -BeTrue
            foreach ($fd in $pipe.ReadEnd.Fd, $pipe.WriteEnd.Fd) {
                $flags = (Select-String -Path "/proc/self/fdinfo/$fd" -Pattern '^flags:\s*([0-7]+)').Matches[0].Groups[1].Value
                ([Convert]::ToInt32($flags, 8) -band 0x800) | Should -Be 0x800 -Because 'O_NONBLOCK is 04000'
                ([Convert]::ToInt32($flags, 8) -band 0x80000) | Should -Be 0x80000 -Because 'descriptors are opened O_CLOEXEC'
            }
        }
        finally { $pipe.Dispose() }
    }

    It 'a capacity the kernel refuses even for root (int.MaxValue) is PipeCapacityRefused naming pipe-max-size' {
        $pipe = New-KernelPipe -Capacity ([int]::MaxValue) -ErrorVariable failure -ErrorAction SilentlyContinue
        $pipe | Should -BeNullOrEmpty
        $failure.FullyQualifiedErrorId | Should -Be "PipeCapacityRefused$Id"
        $failure[0].CategoryInfo.Category | Should -Be 'ResourceUnavailable'
        $failure[0].Exception.Message | Should -Match '/proc/sys/fs/pipe-max-size'
        $failure[0].Exception.Message | Should -Match '2147483647'
        $failure[0].Exception.ErrnoName | Should -BeIn @('EPERM', 'ENOMEM', 'EINVAL')
    }

    It 'more than pipe-max-size in this process without CAP_SYS_RESOURCE is refused with EPERM' {
        if ($HasSysResource) { Set-ItResult -Skipped -Because 'this process has CAP_SYS_RESOURCE; the child-process case below covers it'; return }
        New-KernelPipe -Capacity ($PipeMaxSize * 2) -ErrorVariable failure -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $failure.FullyQualifiedErrorId | Should -Be "PipeCapacityRefused$Id"
        $failure[0].Exception.ErrnoName | Should -Be 'EPERM'
        $failure[0].Exception.Message | Should -Match "pipe-max-size \($PipeMaxSize bytes\)"
    }

    It 'more than pipe-max-size in a pwsh without CAP_SYS_RESOURCE is refused with EPERM' -Skip:(-not $CanDropCapabilities) {
        $script = "`$ErrorActionPreference = 'Stop'; Import-Module '$env:SPLICEMODULE_TEST_MODULE'; New-KernelPipe -Capacity $($PipeMaxSize * 4) -ErrorAction SilentlyContinue -ErrorVariable e | Out-Null; `$e[0].FullyQualifiedErrorId; `$e[0].Exception.ErrnoName; (New-KernelPipe -Capacity $PipeMaxSize).Capacity"
        $run = Invoke-FreshPwsh -Script $script -Wrapper setpriv, '--bounding-set=-sys_resource', '--inh-caps=-sys_resource', '--' -TimeoutSeconds 60
        $run.ExitCode | Should -Be 0 -Because $run.Error
        $run.Lines | Should -Be @("PipeCapacityRefused$Id", 'EPERM', "$PipeMaxSize")
    }

    It 'refuses <Value> by parameter validation' -ForEach @(@{ Value = 0 }, @{ Value = -1 }, @{ Value = [int]::MinValue }) {
        { New-KernelPipe -Capacity $Value } | Should -Throw -ErrorId 'ParameterArgumentValidationError,SpliceModule.Commands.NewKernelPipeCommand'
    }

    It '-WhatIf creates no pipe' {
        (Invoke-WhatIf { New-KernelPipe -WhatIf }).Output | Should -BeNullOrEmpty
    }

    It 'descriptors are closed when the pipe is disposed' {
        $pipe = New-KernelPipe
        $fds = $pipe.ReadEnd.Fd, $pipe.WriteEnd.Fd
        $inode = (Get-Item "/proc/self/fd/$($fds[0])").LinkTarget
        $pipe.Dispose()
        $pipe.IsClosed | Should -BeTrue
        foreach ($fd in $fds) {
            $link = Get-Item "/proc/self/fd/$fd" -ErrorAction Ignore
            if ($link) { $link.LinkTarget | Should -Not -Be $inode }
        }
    }
}

