# Help that is true and reads well: Get-Help -Online opens the page's online version or nothing
# (never a related link by accident), every page and the about topic render within 80 columns
# with no markdown left, the about topic points to every cmdlet, and the kernel versions and the
# symbolic-link rules the help states are the ones the module follows.

BeforeDiscovery {
    Import-Module $env:SPLICEMODULE_TEST_MODULE -Force
    $topics = @((Get-Command -Module SpliceModule -CommandType Cmdlet).Name | ForEach-Object { @{ Name = $_ } }) + @{ Name = 'about_SpliceModule' }
}

BeforeAll {
    Import-Module $env:SPLICEMODULE_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'Support/FreshPwsh.psm1') -Force
    $script:Root = Join-Path $PSScriptRoot '../..'
    $modelPath = Join-Path $TestDrive 'help-model.json'
    & (Join-Path $script:Root 'tools/Build-Help.ps1') -DocsPath (Join-Path $script:Root 'docs') -ModelPath $modelPath
    $script:Model = Get-Content -Raw $modelPath | ConvertFrom-Json

    # Lines that Get-Help prints as they are written and cannot wrap: example code and output,
    # and the code blocks of the about topic.
    function Get-VerbatimLine([string] $Name) {
        $page = $script:Model.Commands | Where-Object Name -EQ $Name
        $code = if ($page) { $page.Examples | ForEach-Object { $_.Code; $_.Remarks } }
        else { [regex]::Matches((Get-Content -Raw (Join-Path $script:Root "docs/$Name.md")), '(?ms)^```\w*\n(.*?)^```') | ForEach-Object { $_.Groups[1].Value } }
        @($code | ForEach-Object { $_ -split '\n' } | ForEach-Object Trim | Where-Object { $_ })
    }
}

Describe 'Get-Help <Name> at 80 columns' -ForEach $topics {
    BeforeAll {
        $lines = @((Get-Help $Name -Full | Out-String -Width 80) -split '\r?\n' | ForEach-Object TrimEnd)
        $verbatim = Get-VerbatimLine $Name
        $prose = @($lines | Where-Object { $_.Trim() -and $_.Trim() -notin $verbatim })
    }

    It 'renders, with prose to check' {
        $prose.Count | Should -BeGreaterThan 20
    }

    It 'has no line over 80 characters where the text could wrap' {
        @($prose | Where-Object Length -GT 80) | Should -BeNullOrEmpty
    }

    It 'cuts no word of its prose in two' {
        # Get-Help cuts a line that is too long wherever the column ends: the pieces are words
        # that the same text rendered wide does not have. Syntax and example code are printed
        # as they are, so only the text from DESCRIPTION to the first example is checked.
        function Get-ProseWord([int] $Width) {
            $text = Get-Help $Name -Full | Out-String -Width $Width
            $text = [regex]::Match($text, '(?s)(DESCRIPTION|LONG DESCRIPTION).*?(?=-{20,} Example|\z)').Value
            @(($text -split '\s+') | Where-Object { $_ })
        }
        $wide = [Collections.Generic.HashSet[string]]::new([string[]](Get-ProseWord 1000))
        @(Get-ProseWord 80 | Where-Object { -not $wide.Contains($_) } | Select-Object -Unique) | Should -BeNullOrEmpty
    }

    It 'prints every line of its example code whole' {
        # Get-Help indents code by four columns and cuts a longer line wherever the 80th column
        # falls, mid-word, so that a pasted line from the screen would not run.
        $page = $script:Model.Commands | Where-Object Name -EQ $Name
        $code = if ($page) { $page.Examples.Code }
        else { [regex]::Matches((Get-Content -Raw (Join-Path $script:Root "docs/$Name.md")), '(?ms)^```\w*\n(.*?)^```') | ForEach-Object { $_.Groups[1].Value } }
        @($code | ForEach-Object { $_ -split '\r?\n' } | Where-Object { $_.TrimEnd().Length -gt 76 }) | Should -BeNullOrEmpty
    }

    It 'shows no markdown: no backticks, bold or link syntax' {
        @($prose | Where-Object { $_ -match '`|\*\*|\]\(|\[[^\]]+\]\[' }) | Should -BeNullOrEmpty
    }
}

Describe 'Get-Help -Online' {
    It 'opens the online version of a page that has one, and nothing for the others' {
        $bin = New-Item -ItemType Directory -Path (Join-Path $TestDrive 'browser')
        $opened = Join-Path $TestDrive 'opened.txt'
        # A stand-in browser: .NET opens a URI on Linux with xdg-open from PATH.
        Set-Content -LiteralPath (Join-Path $bin 'xdg-open') -Value "#!/bin/sh`necho `"`$1`" >> '$opened'" -Encoding ascii
        chmod +x (Join-Path $bin 'xdg-open')
        $names = @((Get-Command -Module SpliceModule -CommandType Cmdlet).Name)
        $script = @"
Import-Module '$env:SPLICEMODULE_TEST_MODULE'
foreach (`$name in '$($names -join "','")') {
    try { Get-Help `$name -Online -ErrorAction Stop; "`$name opened" }
    catch { "`$name `$(`$_.FullyQualifiedErrorId)" }
}
# A built-in cmdlet with a HelpUri shows that the stand-in browser is used; it comes last.
Get-Help Copy-Item -Online
foreach (`$i in 1..100) { if (Test-Path '$opened') { break }; Start-Sleep -Milliseconds 100 }
"@
        $run = Invoke-FreshPwsh -Script $script -Environment @{ PATH = "$($bin.FullName):$env:PATH"; BROWSER = $null } -TimeoutSeconds 120
        $run.ExitCode | Should -Be 0 -Because $run.Error
        $opened | Should -Exist -Because 'Get-Help Copy-Item -Online must reach the stand-in browser'
        $expected = @(foreach ($name in $names) {
                $online = ($script:Model.Commands | Where-Object Name -EQ $name).OnlineVersion
                if ($online) { $online }
            })
        $browsed = @(Get-Content -LiteralPath $opened)
        $browsed[-1] | Should -Match '^https://[\w.]*microsoft\.com/' -Because "Copy-Item's page came last"
        (@($browsed | Select-Object -SkipLast 1) -join " ") | Should -Be ($expected -join " ")
        foreach ($name in $names) {
            $online = ($script:Model.Commands | Where-Object Name -EQ $name).OnlineVersion
            $line = $run.Lines | Where-Object { $_ -like "$name *" }
            if ($online) { $line | Should -Be "$name opened" }
            else { $line | Should -Be "$name InvalidOperation,Microsoft.PowerShell.Commands.GetHelpCommand" -Because "$name has no online version" }
        }
    }

    It 'leaves the address of every related link in its text' {
        foreach ($name in (Get-Command -Module SpliceModule -CommandType Cmdlet).Name) {
            $links = @((Get-Help $name).relatedLinks.navigationLink)
            $page = $script:Model.Commands | Where-Object Name -EQ $name
            foreach ($link in $page.Links | Where-Object Uri) {
                @($links | Where-Object { $_.linkText -eq "$($link.Text): $($link.Uri)" }).Count | Should -Be 1 -Because "$name links to $($link.Uri)"
            }
        }
    }
}

Describe 'about_SpliceModule' {
    It 'names every cmdlet under SEE ALSO' {
        $text = Get-Content -Raw (Join-Path (Get-Module SpliceModule).ModuleBase 'en-US/about_SpliceModule.help.txt')
        $seeAlso = [regex]::Match($text, '(?ms)^SEE ALSO\s*\n(.*?)(^\S|\z)').Groups[1].Value
        foreach ($name in (Get-Command -Module SpliceModule -CommandType Cmdlet).Name) {
            $seeAlso | Should -Match "(?m)^\s+(- )?$name\s*$" -Because "SEE ALSO lists $name"
        }
    }
}

Describe 'What the help says about copy_file_range between file systems' {
    It 'gives the same kernel versions everywhere: 5.3 for any two, 5.19 for the same type only' {
        $files = @(Get-ChildItem (Join-Path $script:Root 'docs') -Filter *.md) + (Get-Item (Join-Path $script:Root 'README.md'))
        $said = 0
        foreach ($file in $files) {
            # Paragraphs (and list items) that give a kernel version for copy_file_range.
            $paragraphs = (Get-Content -Raw $file.FullName) -split '\n\s*\n|\n(?=\s*- )|\n(?=\|)'
            foreach ($paragraph in $paragraphs | Where-Object { $_ -match 'copy_file_range' -and $_ -match 'across|between' -and $_ -match '\b5\.\d+' }) {
                $said++
                $paragraph | Should -Match '\b5\.3\b' -Because "$($file.Name): $paragraph"
                $paragraph | Should -Match '\b5\.19\b' -Because "$($file.Name) must say what changed in 5.19: $paragraph"
                $paragraph | Should -Not -Match '5\.3 or later' -Because "$($file.Name): $paragraph"
            }
        }
        $said | Should -BeGreaterOrEqual 4 -Because 'README, the about topic, Copy-SpliceItem and Get-SpliceCapability say it'
    }

    It 'copies ext4 to tmpfs by Splice on Linux 5.19 and later, as the help says' {
        $kernel = [version]((uname -r) -replace '^(\d+\.\d+).*', '$1')
        $sourceFs = findmnt -n -o FSTYPE -T $TestDrive | Select-Object -Last 1
        $targetFs = findmnt -n -o FSTYPE -T /dev/shm | Select-Object -Last 1
        if ($kernel -lt [version]'5.19' -or $targetFs -ne 'tmpfs' -or $sourceFs -in 'tmpfs', 'nfs', 'nfs4', 'cifs', 'smb3', 'ceph', 'fuse') {
            Set-ItResult -Skipped -Because "needs Linux 5.19+ and a disk file system beside a tmpfs /dev/shm (kernel $kernel, $sourceFs to $targetFs)"
            return
        }
        $source = Join-Path $TestDrive 'cross.bin'
        [IO.File]::WriteAllBytes($source, [byte[]]::new(1MB))
        $target = Join-Path /dev/shm "splicemodule-truehelp-$([guid]::NewGuid().ToString('N')).bin"
        try {
            (Copy-SpliceItem -LiteralPath $source -Destination $target -PassThru).CopyMethod | Should -Be 'Splice'
            (Copy-SpliceItem -LiteralPath $source -Destination "$source.same" -PassThru).CopyMethod | Should -BeIn 'Reflink', 'CopyFileRange'
        }
        finally { Remove-Item -LiteralPath $target -ErrorAction Ignore }
    }
}

Describe 'What the help says about symbolic links' {
    BeforeAll {
        $script:Links = New-Item -ItemType Directory -Path (Join-Path $TestDrive 'links')
        $tree = New-Item -ItemType Directory -Path (Join-Path $script:Links 'tree')
        Set-Content -LiteralPath (Join-Path $tree 'file') -Value 'x'
        New-Item -ItemType SymbolicLink -Path (Join-Path $tree 'inner') -Target 'file' | Out-Null
        New-Item -ItemType SymbolicLink -Path (Join-Path $script:Links 'named-file') -Target (Join-Path $tree 'file') | Out-Null
        New-Item -ItemType SymbolicLink -Path (Join-Path $script:Links 'named-tree') -Target $tree.FullName | Out-Null
    }

    It 'says a link named on the command line is followed and one inside a tree is kept' {
        $page = Get-Content -Raw (Join-Path $script:Root 'docs/Copy-SpliceItem.md')
        $page | Should -Match 'link named on the command line is followed'
        $page | Should -Match 'link met\s+inside a tree is recreated as a link'
    }

    It 'follows a link named on the command line, like Copy-Item' {
        Copy-SpliceItem -LiteralPath (Join-Path $script:Links 'named-file') -Destination (Join-Path $script:Links 'copy-file')
        (Get-Item (Join-Path $script:Links 'copy-file')).LinkType | Should -BeNullOrEmpty
        Copy-SpliceItem -LiteralPath (Join-Path $script:Links 'named-tree') -Destination (Join-Path $script:Links 'copy-tree') -Recurse
        (Get-Item (Join-Path $script:Links 'copy-tree')).LinkType | Should -BeNullOrEmpty
        (Get-Item (Join-Path $script:Links 'copy-tree')).PSIsContainer | Should -BeTrue
    }

    It 'copies a link inside a tree as a link with the same target' {
        $inner = Get-Item (Join-Path $script:Links 'copy-tree/inner')
        $inner.LinkType | Should -Be 'SymbolicLink'
        $inner.Target | Should -Be 'file'
    }
}
