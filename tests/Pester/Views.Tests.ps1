# The format file's views, rendered as a user sees them (Out-String), for open and closed
# pipes and descriptors, capabilities, and Copy-SpliceItem -PassThru output.

BeforeAll {
    Import-Module $env:SPLICEMODULE_TEST_MODULE -Force

    # Renders an object through its default view, failing on any formatting error: a view's
    # scriptblock that throws shows as #ERR with -DisplayError.
    function Get-Rendering($InputObject, [string] $Shape = 'Default') {
        $Error.Clear()
        $text = switch ($Shape) {
            'Default' { $InputObject | Out-String -Width 200 }
            'Table' { $InputObject | Format-Table | Out-String -Width 200 }
            'List' { $InputObject | Format-List | Out-String -Width 200 }
        }
        $checked = switch ($Shape) {
            'List' { $InputObject | Format-List -DisplayError | Out-String -Width 200 }
            default {
                $InputObject | Format-Table -DisplayError | Out-String -Width 200
                $InputObject | Format-List -DisplayError | Out-String -Width 200
            }
        }
        $Error | Should -BeNullOrEmpty
        ($checked -join "`n") | Should -Not -Match '#ERR'
        $text | Should -Not -Match 'Exception|formatting error'
        $text
    }
}

Describe 'The format file' {
    It 'defines a view for each type the cmdlets emit' {
        $views = Get-FormatData -TypeName 'SpliceModule.*' -PowerShellVersion $PSVersionTable.PSVersion
        $types = $views.TypeNames
        foreach ($type in 'SpliceModule.KernelPipe', 'SpliceModule.SpliceDescriptor', 'SpliceModule.SpliceCapability', 'SpliceModule.CopiedFileInfo') {
            $types | Should -Contain $type
        }
    }
}

Describe 'KernelPipe view' {
    It 'shows descriptors, capacity, bytes waiting and state of an open pipe' {
        $pipe = New-KernelPipe -Capacity 131072
        try {
            $stream = [System.IO.FileStream]::new([Microsoft.Win32.SafeHandles.SafeFileHandle]::new([IntPtr]$pipe.WriteEnd.Fd, $false), [System.IO.FileAccess]::Write, 1)
            $stream.Write([byte[]](1..10), 0, 10); $stream.Dispose()
            $text = Get-Rendering $pipe
            $text | Should -Match 'ReadFd\s+WriteFd\s+Capacity\s+Available\s+NonBlocking\s+State'
            $text | Should -Match "\b$($pipe.ReadEnd.Fd)\s+$($pipe.WriteEnd.Fd)\s+131072\s+10\s+False\s+Open"
        }
        finally { $pipe | Close-SpliceDescriptor }
    }

    It 'shows a pipe with one end closed, and a closed pipe, without errors' {
        $pipe = New-KernelPipe
        Close-SpliceDescriptor $pipe.WriteEnd
        Get-Rendering $pipe | Should -Match 'Write end closed'
        Close-SpliceDescriptor $pipe
        $text = Get-Rendering $pipe
        $text | Should -Match "\b$($pipe.ReadEnd.Fd)\s+$($pipe.WriteEnd.Fd)\s+\d+\s+0\s+False\s+Closed"
        Get-Rendering $pipe -Shape List | Should -Match 'IsClosed\s+: True'
    }

    It 'shows several pipes as one table' {
        $pipes = 1..3 | ForEach-Object { New-KernelPipe -NonBlocking }
        try {
            $text = Get-Rendering $pipes
            ([regex]::Matches($text, '\bTrue\s+Open')).Count | Should -Be 3
        }
        finally { $pipes | Close-SpliceDescriptor }
    }
}

Describe 'SpliceDescriptor view' {
    It 'shows fd, kind, access, state and a name for anonymous pipe ends' {
        $pipe = New-KernelPipe
        try {
            $text = Get-Rendering @($pipe.ReadEnd, $pipe.WriteEnd)
            $text | Should -Match 'Fd\s+Kind\s+Access\s+State\s+Path'
            $text | Should -Match "\b$($pipe.ReadEnd.Fd)\s+Pipe\s+Read\s+Open\s+\(anonymous pipe\)"
            $text | Should -Match "\b$($pipe.WriteEnd.Fd)\s+Pipe\s+Write\s+Open\s+\(anonymous pipe\)"
        }
        finally { $pipe | Close-SpliceDescriptor }
        Get-Rendering $pipe.ReadEnd | Should -Match 'Pipe\s+Read\s+Closed'
    }
}

Describe 'SpliceCapability views' {
    It 'lists every capability, with the pipe limit in bytes and KiB' {
        $capability = Get-SpliceCapability -Path $TestDrive
        $text = Get-Rendering $capability
        foreach ($name in 'Platform', 'KernelRelease', 'Splice', 'Tee', 'VmSplice', 'CopyFileRange', 'SendFile', 'PipeMaxSize', 'Path', 'FileSystem', 'Reflink') {
            $text | Should -Match "(?m)^$name\s+:"
        }
        $text | Should -Match "PipeMaxSize\s+: $($capability.PipeMaxSize) \("
        $text | Should -Match "FileSystem\s+: $([regex]::Escape($capability.FileSystem))"
    }

    It 'has a table for comparing paths, path and reflink first' {
        $text = Get-Rendering @((Get-SpliceCapability -Path $TestDrive), (Get-SpliceCapability -Path /proc)) -Shape Table
        $text | Should -Match 'Path\s+FileSystem\s+Reflink\s+CopyFileRange\s+Splice\s+SendFile'
        $text | Should -Match '/proc\s+proc\s'
    }

    It 'shows a capability without -Path without errors' {
        Get-Rendering (Get-SpliceCapability) | Should -Match 'Reflink\s+:\s*$'
    }
}

Describe 'Copy-SpliceItem -PassThru view' {
    It 'shows name, size, method, rate and directory' {
        $source = Join-Path $TestDrive 'view-source.bin'
        [IO.File]::WriteAllBytes($source, [byte[]]::new(3MB))
        $copy = Copy-SpliceItem -Path $source -Destination (Join-Path $TestDrive 'view-copy.bin') -PassThru
        $copy.PSObject.TypeNames[0] | Should -Be 'SpliceModule.CopiedFileInfo'
        $text = Get-Rendering $copy
        $text | Should -Match 'Name\s+Size\s+Method\s+Rate\s+Directory'
        $text | Should -Match "view-copy\.bin\s+3\.0 MiB\s+$($copy.CopyMethod)\s+[\d.,]+ [KMGT]?i?B/s\s+$([regex]::Escape($TestDrive))"
    }

    It 'shows sizes in the unit that fits, down to bytes' {
        $source = Join-Path $TestDrive 'tiny.txt'
        Set-Content -LiteralPath $source -Value 'abc' -NoNewline
        $copy = Copy-SpliceItem -Path $source -Destination (Join-Path $TestDrive 'tiny-copy.txt') -PassThru
        Get-Rendering $copy | Should -Match 'tiny-copy\.txt\s+3 B\s'
    }

    It 'keeps the usual FileInfo list and the item when formatted as a list' {
        $source = Join-Path $TestDrive 'list.txt'
        Set-Content -LiteralPath $source -Value 'abc'
        $copy = Copy-SpliceItem -Path $source -Destination (Join-Path $TestDrive 'list-copy.txt') -PassThru
        $text = Get-Rendering $copy -Shape List
        $text | Should -Match 'list-copy\.txt'
        Get-Rendering ($copy | Select-Object Name, CopyMethod, BytesCopied) | Should -Match "list-copy\.txt\s+$($copy.CopyMethod)\s+4"
    }

    It 'renders an item without size or rate (a directory) without errors' {
        $item = Get-Item $TestDrive
        $item.PSObject.TypeNames.Insert(0, 'SpliceModule.CopiedFileInfo')
        $item | Add-Member -NotePropertyName CopyMethod -NotePropertyValue ([SpliceModule.CopyMethod]::Auto)
        Get-Rendering $item | Should -Match ([regex]::Escape((Split-Path $TestDrive -Leaf)))
    }
}

Describe 'Every default view at 80 columns' {
    BeforeAll {
        # The view as an 80-column console shows it: every line within 80 characters, and the
        # columns that tell rows apart all there.
        function Get-Rendering80($InputObject, [switch] $Table) {
            $text = if ($Table) { $InputObject | Format-Table | Out-String -Width 80 } else { $InputObject | Out-String -Width 80 }
            $long = @($text -split "`r?`n" | Where-Object { $_.Length -gt 80 })
            $long | Should -BeNullOrEmpty -Because "no line of the view may pass 80 columns:`n$text"
            $text
        }
        function Get-HeaderLine([string] $Text, [string] $First) {
            ($Text -split "`r?`n" | Where-Object { $_ -match "^\s*$First\b" } | Select-Object -First 1)
        }
    }

    It 'KernelPipe: descriptors, capacity, bytes waiting and state' {
        $pipe = New-KernelPipe
        try { $text = Get-Rendering80 $pipe } finally { $pipe.Close() }
        $text | Should -Match 'ReadFd\s+WriteFd\s+Capacity\s+Available\s+NonBlocking\s+State'
    }

    It 'SpliceDescriptor: fd, kind, access, state and path' {
        $file = Open-SpliceDescriptor -LiteralPath (Join-Path $TestDrive ('long-' * 12 + '.bin')) -Access Write -Create
        try { $text = Get-Rendering80 $file } finally { $file.Close() }
        $text | Should -Match 'Fd\s+Kind\s+Access\s+State\s+Path'
    }

    It 'SpliceCapability as a list and, for several paths, as a table that keeps Path and Reflink' {
        Get-Rendering80 (Get-SpliceCapability -Path $TestDrive) | Should -Match '(?m)^Reflink\s+:'
        $text = Get-Rendering80 ($TestDrive, '/proc', '/dev/shm' | Get-SpliceCapability) -Table
        Get-HeaderLine $text 'Path' | Should -Match 'Path\s+FileSystem\s+Reflink\s'
        $text | Should -Match '/proc\s+proc\s'
        $text | Should -Match '/dev/shm\s+tmpfs\s+(True|False)\s'
    }

    It 'a tree copied with -PassThru: one table, directories one line each, with method and rate' {
        $tree = Join-Path $TestDrive 'view-tree'
        New-Item -ItemType Directory "$tree/sub/deeper" -Force | Out-Null
        [IO.File]::WriteAllBytes("$tree/sub/big.bin", [byte[]]::new(2MB))
        Set-Content "$tree/sub/deeper/small.txt" 'small'
        Set-Content "$tree/top.txt" 'top'
        $items = Copy-SpliceItem -LiteralPath $tree -Destination (Join-Path $TestDrive 'view-tree-copy') -Recurse -PassThru
        $items.Count | Should -Be 6
        $text = Get-Rendering80 $items
        ([regex]::Matches($text, '(?m)^\s*Name\s+Size\s+Method\s+Rate\s+Directory\s*$')).Count | Should -Be 1 -Because "one table:`n$text"
        $text | Should -Not -Match '(?m)^\s*Directory: ' -Because 'no Get-ChildItem groups'
        $text | Should -Not -Match '(?m)^(Mode|LastWriteTime|Attributes)\s+:' -Because 'no item as a property list'
        foreach ($directory in 'view-tree-copy', 'sub', 'deeper') {
            @($text -split "`n" | Where-Object { $_ -match "^$directory\s+Directory\s" }).Count | Should -Be 1
        }
        $text | Should -Match "big\.bin\s+2\.0 MiB\s+$($items.Where({ $_.Name -eq 'big.bin' }).CopyMethod)\s+[\d.]+ [KMGT]?i?B/s\s"
    }

    It 'SpliceTransferResult: human size, a duration that is not cut, rate, both ends' {
        $result = Write-VmSplice -Destination /dev/null -InputObject ([byte[]]::new(1GB)) -PassThru
        $text = Get-Rendering80 $result
        Get-HeaderLine $text 'Size' | Should -Match 'Size\s+Method\s+Duration\s+Rate\s+Source\s+Destination'
        $text | Should -Match '1\.0 GiB\s+VmSplice\s+[\d.]+ (ms|s|min \d\d s)\s+[\d.]+ [KMGT]?i?B/s\s+memory\s+/dev/null'
        $text | Should -Not -Match '…'
    }
}
