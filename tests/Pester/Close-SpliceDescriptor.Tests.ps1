BeforeAll {
    Import-Module $env:SPLICEMODULE_TEST_MODULE -Force
    $script:Id = ',SpliceModule.Commands.CloseSpliceDescriptorCommand'

    # What the kernel has at a descriptor number now ('' when nothing is open there).
    function Get-FdTarget([int] $Fd) {
        $link = Get-Item -LiteralPath "/proc/self/fd/$Fd" -ErrorAction Ignore
        if ($link) { $link.LinkTarget } else { '' }
    }
}

Describe 'Close-SpliceDescriptor' {
    It 'closes both ends of a pipe given as -InputObject' {
        $pipe = New-KernelPipe
        $target = Get-FdTarget $pipe.ReadEnd.Fd
        $target | Should -Match '^pipe:'

        Close-SpliceDescriptor -InputObject $pipe

        $pipe.IsClosed | Should -BeTrue
        $pipe.ReadEnd.IsClosed | Should -BeTrue
        $pipe.WriteEnd.IsClosed | Should -BeTrue
        Get-FdTarget $pipe.ReadEnd.Fd | Should -Not -Be $target
        Get-FdTarget $pipe.WriteEnd.Fd | Should -Not -Be $target
    }

    It 'closes pipes and single descriptors from the pipeline' {
        $pipes = 1..3 | ForEach-Object { New-KernelPipe }
        $loose = New-KernelPipe
        $pipes + $loose.ReadEnd + $loose.WriteEnd | Close-SpliceDescriptor
        $pipes.IsClosed | Should -Not -Contain $false
        $loose.IsClosed | Should -BeTrue
    }

    It 'unrolls nested arrays: Close-SpliceDescriptor $pipes, $file closes every one' {
        $pipes = 1..2 | ForEach-Object { New-KernelPipe }
        $more = @(New-KernelPipe), @(New-KernelPipe)
        $path = Join-Path $TestDrive 'nested.txt'
        Set-Content -LiteralPath $path -Value 'x'
        $file = Open-SpliceDescriptor -LiteralPath $path
        Close-SpliceDescriptor $pipes, $file -ErrorVariable failed
        $failed | Should -BeNullOrEmpty
        $pipes.IsClosed | Should -Be @($true, $true)
        $file.IsClosed | Should -BeTrue
        , $more | Close-SpliceDescriptor -ErrorVariable failed
        $failed | Should -BeNullOrEmpty
        $more.IsClosed | Should -Be @($true, $true)
    }

    It 'closing one end leaves the other open' {
        $pipe = New-KernelPipe
        try {
            Close-SpliceDescriptor $pipe.WriteEnd
            $pipe.WriteEnd.IsClosed | Should -BeTrue
            $pipe.ReadEnd.IsClosed | Should -BeFalse
            $pipe.IsClosed | Should -BeFalse
            Get-FdTarget $pipe.ReadEnd.Fd | Should -Match '^pipe:'
        }
        finally { $pipe.Dispose() }
    }

    It 'closing twice is harmless and does not close a descriptor that reused the number' {
        $pipe = New-KernelPipe
        $readFd = $pipe.ReadEnd.Fd
        Close-SpliceDescriptor $pipe
        # The kernel hands out the lowest free number: the next pipe takes the old ones.
        $next = New-KernelPipe
        try {
            $nextTarget = Get-FdTarget $next.ReadEnd.Fd
            { Close-SpliceDescriptor $pipe; $pipe | Close-SpliceDescriptor } | Should -Not -Throw
            Close-SpliceDescriptor $pipe -ErrorVariable failure
            $failure | Should -BeNullOrEmpty
            $next.IsClosed | Should -BeFalse
            Get-FdTarget $next.ReadEnd.Fd | Should -Be $nextTarget
            if ($next.ReadEnd.Fd -eq $readFd) { Get-FdTarget $readFd | Should -Match '^pipe:' }
        }
        finally { $next.Dispose() }
    }

    It 'input of the wrong type (<Name>) is NotADescriptor and the rest is still closed' -ForEach @(
        @{ Name = 'a string'; Value = 'pipe' }
        @{ Name = 'an int'; Value = 3 }
        @{ Name = 'a FileInfo'; Value = (Get-Item -LiteralPath $PSHOME) }
    ) {
        $pipe = New-KernelPipe
        Close-SpliceDescriptor -InputObject $Value, $pipe -ErrorVariable failure -ErrorAction SilentlyContinue
        $failure.FullyQualifiedErrorId | Should -Be "NotADescriptor$Id"
        $failure[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $failure[0].TargetObject | Should -Be $Value
        $pipe.IsClosed | Should -BeTrue
    }

    It 'an integer descriptor number is never closed by mistake' {
        $pipe = New-KernelPipe
        try {
            Close-SpliceDescriptor -InputObject $pipe.ReadEnd.Fd -ErrorAction SilentlyContinue
            $pipe.ReadEnd.IsClosed | Should -BeFalse
            Get-FdTarget $pipe.ReadEnd.Fd | Should -Match '^pipe:'
        }
        finally { $pipe.Dispose() }
    }

    It '$null is ignored, so cleanup code works when the pipe was never made' {
        $never = $null
        $pipe = New-KernelPipe
        { $never | Close-SpliceDescriptor -ErrorAction Stop } | Should -Not -Throw
        { Close-SpliceDescriptor -InputObject $null -ErrorAction Stop } | Should -Not -Throw
        { @($null, $pipe) | Close-SpliceDescriptor -ErrorAction Stop } | Should -Not -Throw
        $pipe.IsClosed | Should -BeTrue
    }
}
