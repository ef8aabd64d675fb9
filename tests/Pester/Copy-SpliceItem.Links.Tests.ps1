# -Preserve All is cp -a: hard-link groups of a tree stay groups (compared by inode with what
# cp -a makes of the same tree, also with several workers), a symbolic link named on the command
# line is copied as a link (the default follows it, as Copy-Item does), and a user who may not
# chown gets what cp -a gives them: the files, quietly. The unprivileged runs are as `nobody`
# (and a user named smod13a-...) through setpriv, and skip with a reason when not root.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'Support/Unprivileged.ps1')
}

BeforeAll {
    Import-Module $env:SPLICEMODULE_TEST_MODULE -Force
    . (Join-Path $PSScriptRoot 'Support/Unprivileged.ps1')
    $script:Id = ',SpliceModule.Commands.CopySpliceItemCommand'

    # The tree's files grouped by inode: one line per group, its names sorted and joined by '+'.
    function Get-LinkGroups([string] $Root) {
        Push-Location -LiteralPath $Root
        try {
            @(find . -type f -printf '%i %P\n' | Group-Object { ($_ -split ' ', 2)[0] } |
                ForEach-Object { ($_.Group | ForEach-Object { ($_ -split ' ', 2)[1] } | Sort-Object) -join '+' } | Sort-Object)
        }
        finally { Pop-Location }
    }

    # Groups of three names in three directories, a pair in one directory, lone files, and a file
    # with a second name outside the tree (so nlink > 1 but alone inside it).
    function New-LinkedTree([string] $Root, [int] $Groups) {
        New-Item -ItemType Directory "$Root/a", "$Root/b", "$Root/c/deep" -Force | Out-Null
        foreach ($g in 1..$Groups) {
            [IO.File]::WriteAllText("$Root/a/g$g", "group $g")
            ln -- "$Root/a/g$g" "$Root/b/h$g"
            ln -- "$Root/a/g$g" "$Root/c/deep/i$g"
        }
        Set-Content -LiteralPath "$Root/a/pair1" -Value 'pair'
        ln -- "$Root/a/pair1" "$Root/a/pair2"
        Set-Content -LiteralPath "$Root/lone" -Value 'lone'
        Set-Content -LiteralPath "$Root/b/half" -Value 'half'
        ln -- "$Root/b/half" "$Root.outside"
    }
}

Describe '-Preserve All keeps hard links, as cp -a' {
    It 'makes the same link groups as cp -a with -ThrottleLimit <Throttle>' -ForEach @(
        @{ Throttle = 1 }
        @{ Throttle = 4 }
    ) {
        $src = Join-Path $TestDrive "linked$Throttle"
        New-LinkedTree $src 150
        cp -a -- $src "$TestDrive/by-cp$Throttle"
        Copy-SpliceItem -LiteralPath $src -Destination "$TestDrive/by-splice$Throttle" -Recurse -Preserve All -ThrottleLimit $Throttle -ErrorAction Stop -WarningVariable warned
        $expected = Get-LinkGroups "$TestDrive/by-cp$Throttle"
        $expected.Count | Should -Be (150 + 3) -Because 'cp -a keeps 150 triples, a pair, and two lone files'
        Get-LinkGroups "$TestDrive/by-splice$Throttle" | Should -Be $expected
        Get-Content -LiteralPath "$TestDrive/by-splice$Throttle/c/deep/i77" | Should -Be 'group 77'
        stat -c '%h' -- "$TestDrive/by-splice$Throttle/b/half" | Should -Be '1'
        $warned | Should -BeNullOrEmpty
    }

    It 'links into a destination that already holds the files (a second run)' {
        $src = Join-Path $TestDrive 'again'
        New-LinkedTree $src 5
        New-Item -ItemType Directory "$TestDrive/again-copy" | Out-Null
        Copy-SpliceItem -LiteralPath $src -Destination "$TestDrive/again-copy" -Recurse -ErrorAction Stop
        (Get-LinkGroups "$TestDrive/again-copy/again").Count | Should -Be 19 -Because 'without Links every name is a file of its own'
        Copy-SpliceItem -LiteralPath $src -Destination "$TestDrive/again-copy" -Recurse -Preserve All -ErrorAction Stop
        cp -a -- $src "$TestDrive/again-cp"
        Get-LinkGroups "$TestDrive/again-copy/again" | Should -Be (Get-LinkGroups "$TestDrive/again-cp")
        # A third run replaces names that are now links of each other, and makes them links again, quietly.
        Copy-SpliceItem -LiteralPath $src -Destination "$TestDrive/again-copy" -Recurse -Preserve All -ErrorAction Stop -WarningVariable warned
        $warned | Should -BeNullOrEmpty
        Get-LinkGroups "$TestDrive/again-copy/again" | Should -Be (Get-LinkGroups "$TestDrive/again-cp")
    }

    It 'splits hard links without -Preserve Links (the default), as cp -r' {
        $src = Join-Path $TestDrive 'split'
        New-LinkedTree $src 3
        cp -r -- $src "$TestDrive/split-cp"
        Copy-SpliceItem -LiteralPath $src -Destination "$TestDrive/split-splice" -Recurse -Preserve Mode, Timestamps, Ownership, ExtendedAttributes -ErrorAction Stop
        Get-LinkGroups "$TestDrive/split-splice" | Should -Be (Get-LinkGroups "$TestDrive/split-cp")
    }
}

Describe 'A symbolic link named on the command line' {
    BeforeAll {
        $dir = Join-Path $TestDrive 'named'
        New-Item -ItemType Directory "$dir/target-dir" -Force | Out-Null
        Set-Content -LiteralPath "$dir/target.txt" -Value 'target'
        Set-Content -LiteralPath "$dir/target-dir/in.txt" -Value 'in'
        ln -s target.txt "$dir/file-link"
        ln -s target-dir "$dir/dir-link"
    }

    It 'is copied as a link with -Preserve All, as cp -a copies it (<Link>)' -ForEach @(
        @{ Link = 'file-link' }
        @{ Link = 'dir-link' }
    ) {
        cp -a -- "$dir/$Link" "$dir/$Link.cp"
        Copy-SpliceItem -LiteralPath "$dir/$Link" -Destination "$dir/$Link.splice" -Recurse -Preserve All -ErrorAction Stop
        (Get-Item -LiteralPath "$dir/$Link.splice").LinkTarget | Should -Be (Get-Item -LiteralPath "$dir/$Link.cp").LinkTarget
        (Get-Item -LiteralPath "$dir/$Link.splice").LinkTarget | Should -Not -BeNullOrEmpty
    }

    It 'is followed by default, as Copy-Item follows it' {
        Copy-Item -LiteralPath "$dir/file-link" -Destination "$dir/by-copy-item"
        Copy-SpliceItem -LiteralPath "$dir/file-link" -Destination "$dir/by-default" -ErrorAction Stop
        (Get-Item -LiteralPath "$dir/by-default").LinkTarget | Should -Be (Get-Item -LiteralPath "$dir/by-copy-item").LinkTarget
        Get-Content -LiteralPath "$dir/by-default" | Should -Be 'target'
    }

    It 'is refused as a self-copy when it is copied as a link onto itself' {
        Copy-SpliceItem -LiteralPath "$dir/file-link" -Destination "$dir/file-link" -Preserve All -ErrorVariable e -ErrorAction SilentlyContinue
        $e[0].FullyQualifiedErrorId | Should -Be "CopyError$Id"
        (Get-Item -LiteralPath "$dir/file-link").LinkTarget | Should -Be 'target.txt'
    }
}

Describe '-Preserve All as a user who may not chown, as cp -a' -Skip:([bool]$UnprivilegedSkip) {
    BeforeAll {
        # Root's readable files and directories, one file of another user, a setgid directory.
        $tree = Join-Path $TestDrive 'rootfiles'
        New-Item -ItemType Directory "$tree/conf.d", "$tree/shared" -Force | Out-Null
        foreach ($n in 1..20) { Set-Content -LiteralPath "$tree/conf.d/f$n.conf" -Value "setting $n" }
        Set-Content -LiteralPath "$tree/top.conf" -Value 'top'
        ln -- "$tree/top.conf" "$tree/shared/top-again.conf"
        ln -s top.conf "$tree/top.link"
        $script:Other = New-AttackUser 'smod13a-owner'
        chown "$($Other.Uid):$($Other.Gid)" -- "$tree/conf.d/f1.conf"
        chmod -R a+rX -- $tree
        chmod 2755 -- "$tree/shared"
        $script:Out = Join-Path $TestDrive 'nobody-out'
        New-Item -ItemType Directory $Out | Out-Null
        chown nobody -- $Out
        Grant-Traverse $Out
        Grant-Traverse $tree
    }

    AfterAll {
        Remove-AttackUser $Other
    }

    It 'copies every file without an error or a warning, as cp -a does' {
        $script = @"
Import-Module '$env:SPLICEMODULE_TEST_MODULE'
cp -a -- '$tree' '$Out/by-cp' 2>&1 | Out-Null
`$cpExit = `$LASTEXITCODE
`$e = `$null; `$w = `$null
Copy-SpliceItem -LiteralPath '$tree' -Destination '$Out/by-splice' -Recurse -Preserve All -ErrorVariable e -ErrorAction SilentlyContinue -WarningVariable w -WarningAction SilentlyContinue
@{ CpExit = `$cpExit; Errors = @(`$e | ForEach-Object { "`$(`$_.FullyQualifiedErrorId): `$(`$_.Exception.Message)" }); Warnings = @(`$w | ForEach-Object { "`$_" }) }
"@
        $result = Invoke-PwshAsUser -User nobody -Root $TestDrive -Script $script -Json
        $result.CpExit | Should -Be 0 -Because 'cp -a keeps quiet about owners it may not give'
        @($result.Errors) | Should -BeNullOrEmpty
        @($result.Warnings) | Should -BeNullOrEmpty
        Push-Location -LiteralPath $Out
        try {
            $listing = { param($root) Push-Location $root; try { find . -printf '%P|%y|%m|%u|%s|%T@|%l\n' | Sort-Object } finally { Pop-Location } }
            & $listing 'by-splice' | Should -Be (& $listing 'by-cp')
            Get-LinkGroups 'by-splice' | Should -Be (Get-LinkGroups 'by-cp')
        }
        finally { Pop-Location }
        stat -c '%U' -- "$Out/by-splice/conf.d/f1.conf" | Should -Be 'nobody'
    }

    It 'makes -Preserve Ownership asked for by name an OwnershipNotPreserved error, keeping the copy' {
        $script = @"
Import-Module '$env:SPLICEMODULE_TEST_MODULE'
`$e = `$null
Copy-SpliceItem -LiteralPath '$tree/top.conf' -Destination '$Out/owned.conf' -Preserve Ownership -ErrorVariable e -ErrorAction SilentlyContinue
@{ Errors = @(`$e | ForEach-Object FullyQualifiedErrorId); Copied = (Get-Content -LiteralPath '$Out/owned.conf') }
"@
        $result = Invoke-PwshAsUser -User nobody -Root $TestDrive -Script $script -Json
        $result.Errors | Should -Be @("OwnershipNotPreserved$Id")
        $result.Copied | Should -Be 'top'
    }
}
